// Squeeze page: the upload queue. Files chosen or dropped wait their turn, then go up through
// upload.js (resumable, in parts); a finished one fires "squeeze:job-created" (live-rows.js).
(function () {
  "use strict";

  var csrfToken = window.SqueezeCsrfToken;  // csrf.js
  var form = document.getElementById("upload-form");
  var fileInput = document.getElementById("file-input");
  var dropZone = document.getElementById("drop-zone");
  var uploads = document.getElementById("uploads");

  // Files go up PARALLEL_UPLOADS at a time (each with several parts in flight); the rest wait.
  var PARALLEL_UPLOADS = 2;
  var waiting = [];
  var active = 0;

  // Once, at the first submit: may the page say when a job finishes while its tab is hidden?
  // (live-rows.js shows the notification.) Asked in answer to the person's own click or drop.
  function askToNotifyOnce() {
    if (!("Notification" in window) || Notification.permission !== "default") return;
    try {
      if (localStorage.getItem("squeeze:notify-asked")) return;
      localStorage.setItem("squeeze:notify-asked", "1");
    } catch (ignored) { /* storage off: ask this once anyway */ }
    Notification.requestPermission();
  }

  function upload(file) {
    askToNotifyOnce();
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

  // The server's megabyte (target_size_mb, and the job table's sizes): 1,048,576 bytes.
  function megabytes(bytes) { return (bytes / 1048576).toFixed(1) + " MB"; }

  // The options as the form shows them when a file is chosen (the form is reset right after).
  function chosenOptions() {
    var options = {};
    ["preset", "max_height", "codec"].forEach(function (name) {
      var value = form.elements[name].value;
      if (value) options[name] = name === "max_height" ? Number(value) : value;
    });
    var fit = form.elements.target_size_mb.value;
    if (fit === "custom") fit = fitCustomInput.value;
    if (fit) options.target_size_mb = Number(fit);
    ["start_seconds", "end_seconds"].forEach(function (name) {
      var value = form.elements[name].value;
      if (value !== "") options[name] = Number(value);
    });
    ["keep_location", "normalize_audio", "sdr"].forEach(function (name) {
      if (form.elements[name].checked) options[name] = true;
    });
    return options;
  }

  var fitUnder = document.getElementById("fit-under");
  var fitCustom = document.getElementById("fit-custom");
  var fitCustomInput = document.getElementById("fit-custom-mb");
  fitUnder.add(new Option("Custom…", "custom"));  // a size typed in, read here (no-script forms lack it)
  // Hidden, it is also disabled: a value left in it would otherwise block every later submit.
  function showCustomFit() {
    fitCustom.hidden = fitUnder.value !== "custom";
    fitCustomInput.disabled = fitCustom.hidden;
  }
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
      done: function (job) {
        entry.item.remove();
        finished();
        document.body.dispatchEvent(new CustomEvent("squeeze:job-created", { detail: { job: job } }));
      },
      failed: function (message) {
        finished();
        entry.toggle.hidden = true;
        entry.item.classList.add("failed");
        entry.note.setAttribute("role", "alert");
        entry.note.textContent = message;
        var dismiss = document.createElement("button");  // read: then out of the way
        dismiss.type = "button";
        dismiss.className = "dismiss secondary";
        dismiss.textContent = "Dismiss";
        dismiss.setAttribute("aria-label", "Dismiss the failed upload of " + entry.file.name);
        dismiss.addEventListener("click", function () {
          entry.item.remove();
          form.elements.file.focus();
        });
        entry.item.append(dismiss);
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
