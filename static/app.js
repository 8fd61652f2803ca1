// Squeeze page: resumable uploads (upload.js), live rows over the WebSocket, polling when it drops.
(function () {
  "use strict";

  var POLL_MS = 2000;            // polling interval while the socket is down
  var RECONNECT_MS = 5000;       // retry for closes the ws extension does not retry itself
  var RETRIED_BY_EXTENSION = [1006, 1011, 1012, 1013];
  var TERMINAL = ["succeeded", "failed", "canceled"];

  var csrfToken = document.querySelector('meta[name="csrf-token"]').content;
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
      .then(function (response) { return response.ok ? response.text() : Promise.reject(response.status); })
      .then(function (html) {
        var before = statusesById();
        rowsBody.innerHTML = html;
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

  // Never let an older version of a row replace a newer one, nor bring back a deleted one.
  document.body.addEventListener("htmx:oobBeforeSwap", function (event) {
    var incoming = event.detail.fragment && event.detail.fragment.firstElementChild;
    var current = event.detail.target;
    if (incoming && isDeletion(incoming)) {
      deleted.add(incoming.id);
      return;
    }
    if (!incoming || !current || !current.dataset || current.dataset.version === undefined) return;
    if (Number(incoming.dataset.version) < Number(current.dataset.version)) {
      event.detail.shouldSwap = false;
    } else {
      incoming.dataset.previousStatus = current.dataset.status;
    }
  });

  document.body.addEventListener("htmx:oobAfterSwap", function (event) {
    var row = document.getElementById(event.detail.target.id);
    if (row && row.dataset.previousStatus !== undefined) {
      announceIfFinished(row.dataset.previousStatus, row);
      delete row.dataset.previousStatus;
    }
  });

  // A row for a job the page has not shown yet: put it at the top (unless it was just deleted).
  var deleted = new Set();
  function isDeletion(row) {
    return row.getAttribute("hx-swap-oob") === "delete";
  }
  document.body.addEventListener("htmx:oobErrorNoTarget", function (event) {
    var row = event.detail.content;
    if (row && isDeletion(row)) {
      deleted.add(row.id); // deleted in another tab before this one showed it
      return;
    }
    if (row && row.tagName === "TR" && !document.getElementById(row.id) && !deleted.has(row.id)) {
      rowsBody.insertBefore(row, rowsBody.firstChild);
      htmx.process(row);
    }
  });

  // DELETE answers 204 (htmx swaps nothing): remove the row here.
  document.body.addEventListener("htmx:afterRequest", function (event) {
    var config = event.detail.requestConfig;
    if (config && config.verb === "delete" && event.detail.successful) {
      var row = event.detail.elt.closest("tr");
      if (row) {
        deleted.add(row.id);
        row.remove();
      }
    }
  });

  function announceIfFinished(previous, row) {
    if (previous && TERMINAL.indexOf(previous) < 0 && TERMINAL.indexOf(row.dataset.status) >= 0) {
      var name = row.querySelector(".filename");
      announcer.textContent = (name ? name.textContent : "A job") + ": " + row.dataset.status;
    }
  }

  // ---- requests made by htmx (cancel, delete) carry the CSRF token ------------
  document.body.addEventListener("htmx:configRequest", function (event) {
    event.detail.headers["X-CSRFToken"] = csrfToken;
  });

  // ---- uploads -----------------------------------------------------------
  var form = document.getElementById("upload-form");
  var fileInput = document.getElementById("file-input");
  var dropZone = document.getElementById("drop-zone");
  var uploads = document.getElementById("uploads");

  // Files go up PARALLEL_UPLOADS at a time (each with several parts in flight); the rest wait.
  var PARALLEL_UPLOADS = 2;
  var waiting = [];
  var active = 0;

  function upload(file) {
    var item = document.createElement("li");
    var label = document.createElement("span");
    var bar = document.createElement("progress");
    var note = document.createElement("span");
    var toggle = document.createElement("button");
    label.className = "filename";
    label.textContent = file.name;
    bar.max = 100;
    bar.value = 0;
    bar.setAttribute("aria-label", "Upload of " + file.name);
    note.className = "note";
    note.textContent = "waiting to upload";
    toggle.type = "button";
    toggle.className = "pause";
    toggle.textContent = "Pause";
    toggle.hidden = true;
    item.append(label, bar, note, toggle);
    uploads.appendChild(item);
    waiting.push({ file: file, item: item, bar: bar, note: note, toggle: toggle, options: chosenOptions() });
    pumpUploads();
  }

  function pumpUploads() {
    while (active < PARALLEL_UPLOADS && waiting.length) {
      active += 1;
      send(waiting.shift());
    }
  }

  function finished() {
    active -= 1;
    pumpUploads();
  }

  function megabytes(bytes) { return (bytes / 1e6).toFixed(1) + " MB"; }

  // The options as the form shows them when a file is chosen (the form is reset right after).
  function chosenOptions() {
    var options = {};
    ["preset", "max_height", "codec"].forEach(function (name) {
      var value = form.elements[name].value;
      if (value) options[name] = name === "max_height" ? Number(value) : value;
    });
    var fit = form.elements.target_size_mb.value;
    if (fit === "custom") fit = form.elements.target_size_custom.value;
    if (fit) options.target_size_mb = Number(fit);
    ["start_seconds", "end_seconds"].forEach(function (name) {
      var value = form.elements[name].value;
      if (value !== "") options[name] = Number(value);
    });
    ["keep_location", "normalize_audio"].forEach(function (name) {
      if (form.elements[name].checked) options[name] = true;
    });
    return options;
  }

  var fitUnder = document.getElementById("fit-under");
  var fitCustom = document.getElementById("fit-custom");
  function showCustomFit() { fitCustom.hidden = fitUnder.value !== "custom"; }
  fitUnder.addEventListener("change", showCustomFit);
  form.addEventListener("reset", function () { window.setTimeout(showCustomFit, 0); });

  function send(entry) {
    var options = entry.options;
    var state = "uploading", detail = "";
    function show() { entry.note.textContent = state + (detail ? " · " + detail : ""); }
    var transfer = new window.SqueezeUpload(entry.file, options, csrfToken, {
      progress: function (sent, total, speed) {
        entry.bar.value = total ? Math.round((sent / total) * 100) : 100;
        var left = speed > 0 ? Math.round((total - sent) / speed) : null;
        detail = megabytes(sent) + " of " + megabytes(total) +
          (speed > 0 ? " · " + megabytes(speed) + "/s" : "") + (left !== null ? " · " + left + " s left" : "");
        show();
      },
      state: function (text) { state = text; show(); },
      done: function () {
        entry.item.remove();
        finished();
        if (pollTimer !== null) refreshRows();
      },
      failed: function (message) {
        finished();
        entry.toggle.hidden = true;
        entry.item.classList.add("failed");
        entry.note.setAttribute("role", "alert");
        entry.note.textContent = message;
      },
    });
    entry.toggle.hidden = false;
    entry.toggle.addEventListener("click", function () {
      if (transfer.paused) {
        transfer.resume();
        entry.toggle.textContent = "Pause";
      } else {
        transfer.pause();
        entry.toggle.textContent = "Resume";
      }
    });
    transfer.start();
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    Array.prototype.forEach.call(fileInput.files, upload);
    form.reset();
  });

  ["dragenter", "dragover"].forEach(function (name) {
    dropZone.addEventListener(name, function (event) {
      event.preventDefault();
      dropZone.classList.add("dragging");
    });
  });
  ["dragleave", "drop"].forEach(function (name) {
    dropZone.addEventListener(name, function () { dropZone.classList.remove("dragging"); });
  });
  dropZone.addEventListener("drop", function (event) {
    event.preventDefault();
    Array.prototype.forEach.call(event.dataTransfer.files, upload);
  });
})();
