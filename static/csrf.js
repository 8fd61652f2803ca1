// The page's CSRF token, read once: htmx's requests (cancel, delete) carry it, and the upload
// queue hands it to each upload (window.SqueezeCsrfToken).
(function () {
  "use strict";

  var token = document.querySelector('meta[name="csrf-token"]').content;

  document.body.addEventListener("htmx:configRequest", function (event) {
    event.detail.headers["X-CSRFToken"] = token;
  });

  window.SqueezeCsrfToken = token;
})();
