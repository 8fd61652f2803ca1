// The operators' console: an action the server refuses (a problem+json answer) is said in the
// status line instead of failing silently; a successful one clears it.
(function () {
  "use strict";

  var message = document.getElementById("console-message");

  function say(text, failed) {
    message.textContent = text;
    message.classList.toggle("failed", Boolean(failed));
  }

  document.body.addEventListener("htmx:responseError", function (event) {
    var request = event.detail.xhr;
    var detail = "the server answered " + request.status;
    try {
      detail = JSON.parse(request.responseText).detail || detail;
    } catch (ignored) {
      // not a problem document: keep the status
    }
    say(detail, true);
  });

  document.body.addEventListener("htmx:sendError", function () {
    say("the server cannot be reached; the console will try again", true);
  });

  document.body.addEventListener("htmx:afterRequest", function (event) {
    if (event.detail.successful && event.detail.requestConfig.verb !== "get") {
      say("", false);
    }
  });
})();
