// Squeeze page: the job rows kept live over the WebSocket, polled while it is down.
// An upload that made a job (upload-queue.js) fires "squeeze:job-created" on the body.
(function () {
  "use strict";

  var POLL_MS = 2000;            // polling interval while the socket is down
  var RECONNECT_MS = 5000;       // retry for closes the ws extension does not retry itself
  var RETRIED_BY_EXTENSION = [1006, 1011, 1012, 1013];
  var TERMINAL = ["succeeded", "failed", "canceled"];

  var connection = document.getElementById("connection");
  var rowsBody = document.getElementById("job-rows");
  var announcer = document.getElementById("announcer");
  var pollTimer = null;

  function setConnection(state) {
    connection.dataset.state = state;
    connection.textContent = state;
  }

  // ---- polling fallback -------------------------------------------------
  function refreshRows() {
    return fetch(rowsBody.dataset.rowsUrl, { credentials: "same-origin", cache: "no-store" })
      .then(function (response) {
        // The session ended (signed out elsewhere, its key revoked: the socket closed 1008).
        if (response.status === 401) window.location.assign(rowsBody.dataset.signinUrl);
        return response.ok ? response.text() : Promise.reject(response.status);
      })
      .then(function (html) {
        var before = statusesById();
        var focused = focusedControl();
        rowsBody.innerHTML = html;
        restoreFocus(focused);
        htmx.process(rowsBody);
        rowsBody.querySelectorAll("tr[id^='job-']").forEach(function (row) {
          announceIfFinished(before[row.id], row);
        });
      })
      .catch(function () { /* the next poll tries again */ });
  }

  function startPolling() {
    if (pollTimer === null) {
      refreshRows();
      pollTimer = setInterval(refreshRows, POLL_MS);
    }
  }

  function stopPolling() {
    if (pollTimer !== null) {
      clearInterval(pollTimer);
      pollTimer = null;
    }
  }

  // ---- focus, kept across a row's replacement ------------------------------
  // A row is replaced at every change of its job (twice a second while it runs): the control a
  // keyboard user is on goes with it. It comes back on the same control of the new row, else
  // on another of the row's (a Cancel gone once the job ended), else on the jobs' heading.
  function focusedControl() {
    var active = document.activeElement;
    var row = active && active.closest ? active.closest("tr[id^='job-']") : null;
    return row ? { row: row.id, action: active.dataset.action } : null;
  }

  function restoreFocus(was, fallbackRow) {
    if (!was || (document.activeElement && document.activeElement !== document.body)) return;
    var row = document.getElementById(was.row) || fallbackRow;
    var control = row && (row.querySelector("[data-action='" + was.action + "']") ||
                          row.querySelector("[data-action]"));
    (control || document.getElementById("jobs-title")).focus();
  }

  var focusBeforeSwap = null;

  function statusesById() {
    var found = {};
    rowsBody.querySelectorAll("tr[id^='job-']").forEach(function (row) { found[row.id] = row.dataset.status; });
    return found;
  }

  // ---- live rows ---------------------------------------------------------
  document.body.addEventListener("htmx:wsOpen", function () {
    setConnection("live");
    stopPolling();  // the server sends every row first: that is the refresh
  });

  document.body.addEventListener("htmx:wsClose", function (event) {
    setConnection("polling");
    startPolling();
    var code = event.detail.event && event.detail.event.code;
    if (RETRIED_BY_EXTENSION.indexOf(code) < 0) {
      setTimeout(function () { event.detail.socketWrapper.reconnect(); }, RECONNECT_MS);
    }
  });

  document.body.addEventListener("htmx:wsError", function () {
    setConnection("polling");
    startPolling();
  });

  // A row for a job the page has not shown yet gets an empty row of its id at the top first:
  // htmx then swaps the row into place instead of finding nowhere to put it (and logging so).
  document.body.addEventListener("htmx:wsBeforeMessage", function (event) {
    var message = document.createElement("template");
    message.innerHTML = event.detail.message;
    message.content.querySelectorAll("tr[hx-swap-oob][id]").forEach(function (row) {
      if (document.getElementById(row.id)) return;
      var placeholder = document.createElement("tr");
      placeholder.id = row.id;
      placeholder.hidden = true;
      rowsBody.insertBefore(placeholder, rowsBody.firstChild);
    });
  });

  // Never let an older version of a row replace a newer one, nor bring back a deleted one.
  document.body.addEventListener("htmx:oobBeforeSwap", function (event) {
    var incoming = event.detail.fragment && event.detail.fragment.firstElementChild;
    var current = event.detail.target;
    if (incoming && isDeletion(incoming)) {
      deleted.add(incoming.id);
      return;
    }
    if (incoming && deleted.has(incoming.id)) {
      event.detail.shouldSwap = false; // a late change of a job deleted here: not back
      if (current && current.hidden) current.remove();
      return;
    }
    if (!incoming || !current || !current.dataset || current.dataset.version === undefined) return;
    if (Number(incoming.dataset.version) < Number(current.dataset.version)) {
      event.detail.shouldSwap = false;
    } else {
      incoming.dataset.previousStatus = current.dataset.status;
      var focused = focusedControl();
      if (focused && focused.row === current.id) focusBeforeSwap = focused;
    }
  });

  document.body.addEventListener("htmx:oobAfterSwap", function (event) {
    var row = document.getElementById(event.detail.target.id);
    if (focusBeforeSwap && row && focusBeforeSwap.row === row.id) {
      restoreFocus(focusBeforeSwap);
      focusBeforeSwap = null;
    }
    if (row && row.dataset.previousStatus !== undefined) {
      announceIfFinished(row.dataset.previousStatus, row);
      delete row.dataset.previousStatus;
    }
  });

  var deleted = new Set(); // rows deleted here or in another tab: never brought back
  function isDeletion(row) {
    return row.getAttribute("hx-swap-oob") === "delete";
  }

  // DELETE answers 204 (htmx swaps nothing): remove the row here.
  document.body.addEventListener("htmx:afterRequest", function (event) {
    var config = event.detail.requestConfig;
    if (config && config.verb === "delete" && event.detail.successful) {
      var row = event.detail.elt.closest("tr");
      if (row) {
        var focused = focusedControl();
        var next = row.nextElementSibling || row.previousElementSibling;
        deleted.add(row.id);
        row.remove();
        restoreFocus(focused && { row: next ? next.id : "", action: focused.action }, next);
      }
    }
  });

  // A job that finishes is announced (to screen readers), and shown as a notification while
  // the tab is hidden, if the person allowed them (upload-queue.js asks once, at a submit).
  function announceIfFinished(previous, row) {
    if (previous && TERMINAL.indexOf(previous) < 0 && TERMINAL.indexOf(row.dataset.status) >= 0) {
      var name = row.querySelector(".filename");
      var text = (name ? name.textContent : "A job") + ": " + row.dataset.status;
      announcer.textContent = text;
      if (document.hidden && "Notification" in window && Notification.permission === "granted") {
        new Notification("Squeeze", { body: text, tag: row.id });
      }
    }
  }

  // A job made by an upload: the socket sends its row; while polling, fetch the rows now.
  document.body.addEventListener("squeeze:job-created", function () {
    if (pollTimer !== null) refreshRows();
  });
})();
