// Boots the vendored API reference (Scalar, static/vendor) on /api/docs: it reads the served
// OpenAPI document and renders every operation with its fields, examples and a console that
// sends real requests. Nothing may leave this origin: no web fonts, telemetry, proxy or agent.
(function () {
  "use strict";

  var mount = document.getElementById("api-docs");
  var csrfToken = document.querySelector('meta[name="csrf-token"]').content;
  var SAFE_METHODS = ["GET", "HEAD", "OPTIONS"];

  // A request without a key is the browser session's (signed in on the page, or the page's own
  // owner): like the page's own requests, an unsafe one carries the session's CSRF token. The
  // API reads the token only from a session caller; a bearer key needs none. The console sends
  // "Authorization: Bearer" with nothing after it when the key field is empty, which the API
  // (rightly) refuses as a wrong key: without a key, the header goes and the session speaks.
  function sessionAwareFetch(input, init) {
    var request = new Request(input, init);
    var sameOrigin = new URL(request.url, window.location.href).origin === window.location.origin;
    if (sameOrigin && /^bearer\s*$/i.test(request.headers.get("Authorization") || "")) {
      request.headers.delete("Authorization");
    }
    if (sameOrigin && SAFE_METHODS.indexOf(request.method) < 0) {
      request.headers.set("X-CSRFToken", csrfToken);
    }
    return window.fetch(request);
  }

  window.Scalar.createApiReference(mount, {
    url: mount.dataset.openapi,
    withDefaultFonts: false, // the system's fonts: Scalar's come from its CDN
    telemetry: false,
    agent: { disabled: true },
    mcp: { disabled: true },
    showDeveloperTools: "never",
    hideClientButton: true,
    persistAuth: false, // a key typed here is forgotten with the tab
    customFetch: sessionAwareFetch,
    // With keys configured, the console opens on the key field (securitySchemes.bearer).
    authentication: mount.dataset.keys === "required" ? { preferredSecurityScheme: "bearer" } : {},
    defaultHttpClient: { targetKey: "shell", clientKey: "curl" },
    featuredClients: ["shell/curl", "python/requests", "js/fetch"],
    maxVisibleRequestBodyProperties: 0, // every field of a body, none behind "show more"
  });
})();
