// Squeeze's resumable uploads in the browser: a file in parts, several in flight, each retried
// with backoff; paused and resumed by hand, by the network coming back, or after a reload when
// the same file (name, size, modification time) is chosen again: only missing parts are sent.
(function () {
  "use strict";

  var PARTS_IN_FLIGHT = 4;
  var SIGN_BATCH = 32;          // part URLs asked for in one request
  var URL_MARGIN_MS = 60000;    // a signed URL this close to its expiry is asked for again
  var BACKOFF_MS = [1000, 2000, 4000, 8000, 15000, 30000];
  var STORE_PREFIX = "squeeze-upload:";

  // What pump() waits for before it starts parts (a pause aside).
  var WAITING_FOR = Object.freeze({
    NOTHING: "nothing",   // it may start parts
    RETRY: "retry",       // a failure's backoff: this.retryTimer pumps again when it ends
    JOIN: "join",         // complete() asked the server to join the parts
  });

  // Where the upload of this file with these options is remembered (to resume it after a
  // reload): the same file chosen again with other options is another upload, another job.
  function remembered(file, options) {
    var asked = Object.keys(options).sort().map(function (name) { return name + "=" + options[name]; });
    return STORE_PREFIX + [file.name, file.size, file.lastModified].concat(asked).join(":");
  }

  function problemOf(request) {
    try { return JSON.parse(request.responseText); } catch (e) { return {}; }
  }

  // One JSON call to the API: resolves with the parsed body, rejects with {status, body}.
  function api(method, url, body, csrfToken) {
    return new Promise(function (resolve, reject) {
      var request = new XMLHttpRequest();
      request.open(method, url);
      request.setRequestHeader("Accept", "application/json");
      request.setRequestHeader("X-CSRFToken", csrfToken);
      if (body !== undefined) request.setRequestHeader("Content-Type", "application/json");
      request.addEventListener("load", function () {
        if (request.status >= 200 && request.status < 300) resolve(request.responseText ? JSON.parse(request.responseText) : null);
        else reject({ status: request.status, body: problemOf(request), retryAfter: request.getResponseHeader("Retry-After") });
      });
      request.addEventListener("error", function () { reject({ status: 0, body: {} }); });
      request.send(body === undefined ? null : JSON.stringify(body));
    });
  }

  // ui: {progress(sent, total, bytesPerSecond), state(text), done(job), failed(detail)}
  function ResumableUpload(file, options, csrfToken, ui) {
    this.file = file;
    this.options = options;
    this.csrf = csrfToken;
    this.ui = ui;
    this.paused = false;
    this.finished = false;
    this.inFlight = {};     // part number -> XMLHttpRequest
    this.loaded = {};       // part number -> bytes of it sent so far (in flight)
    this.done = {};         // part number -> true
    this.signed = {};       // part number -> its signed target, not yet used
    this.failures = 0;
    this.waitingFor = WAITING_FOR.NOTHING;
    this.retryTimer = null;  // set while waiting for RETRY
    this.sentThisSession = 0;
    this.started = Date.now();
    var self = this;
    this.onOnline = function () { if (!self.paused) self.pump(); };
    window.addEventListener("online", this.onOnline);
  }

  // Worth asking again (the network, a busy or restarting server), not a refusal.
  // Also the same upload being completed at this moment (another tab's): asked again, it
  // answers the job that completion made.
  function transient(error) {
    var completing = error.status === 409 && error.body && error.body.code === "upload_completing";
    return completing || error.status === 0 || error.status === 408 || error.status === 429 || error.status >= 500;
  }

  function later(ms) {
    return new Promise(function (resolve) { setTimeout(resolve, ms); });
  }

  ResumableUpload.prototype.start = function () {
    var self = this;
    var id = localStorage.getItem(remembered(this.file, this.options));
    var found = id ? this.reopen(id, 0) : this.create();
    found.then(function (upload) {
      self.upload = upload;
      upload.parts_done.forEach(function (n) { self.done[n] = true; });
      self.ui.state(upload.parts_done.length ? "resuming" : "uploading");
      self.report();
      self.pump();
    }, function (error) { self.fail(error); });
  };

  // The remembered upload if the server still holds it open; a new one when it is gone or
  // closed. A failure worth retrying is retried (with backoff) before anything is sent again:
  // starting over would resend every part already there.
  ResumableUpload.prototype.reopen = function (id, tries) {
    var self = this;
    return api("GET", "/api/uploads/" + id, undefined, this.csrf).then(function (upload) {
      return upload.state === "open" ? upload : self.create();
    }, function (error) {
      if (!transient(error) || tries >= BACKOFF_MS.length) return self.create();
      self.ui.state("retrying in " + Math.round(BACKOFF_MS[tries] / 1000) + " s");
      return later(BACKOFF_MS[tries]).then(function () { return self.reopen(id, tries + 1); });
    });
  };

  ResumableUpload.prototype.create = function () {
    var self = this;
    var body = Object.assign({ filename: this.file.name, size_bytes: this.file.size }, this.options);
    return api("POST", "/api/uploads", body, this.csrf).then(function (upload) {
      localStorage.setItem(remembered(self.file, self.options), upload.id);
      return upload;
    });
  };

  ResumableUpload.prototype.partBytes = function (number) {
    var u = this.upload;
    return number < u.parts_total ? u.part_size : u.size_bytes - u.part_size * (u.parts_total - 1);
  };

  ResumableUpload.prototype.missing = function () {
    var todo = [];
    for (var n = 1; n <= this.upload.parts_total; n++) {
      if (!this.done[n] && !this.inFlight[n]) todo.push(n);
    }
    return todo;
  };

  ResumableUpload.prototype.pump = function () {
    if (this.paused || this.finished || !this.upload || this.waitingFor !== WAITING_FOR.NOTHING) return;
    var todo = this.missing();
    var busy = Object.keys(this.inFlight).length;
    if (!todo.length && !busy) return this.complete();
    var starting = todo.slice(0, Math.max(PARTS_IN_FLIGHT - busy, 0));
    if (!starting.length) return;
    var self = this, requests = {};
    starting.forEach(function (n) { requests[n] = self.inFlight[n] = new XMLHttpRequest(); });  // reserved while signed
    this.sign(starting, todo).then(function () {
      starting.forEach(function (n) {
        var target = self.signed[n];
        delete self.signed[n];  // one send per URL: a retry asks again
        if (self.inFlight[n] === requests[n]) self.sendPart(n, requests[n], target);
      });
    }, function (error) {
      var mine = starting.filter(function (n) { return self.inFlight[n] === requests[n]; });
      if (!mine.length) return;  // paused meanwhile
      if (!transient(error)) {
        mine.forEach(function (n) { self.forget(n); });
        return self.fail(error);
      }
      mine.forEach(function (n) { self.partFailed(n, error.status, error.retryAfter); });
    });
  };

  // Signed URLs for `numbers` in self.signed: kept ones still fresh, the others asked for in one
  // request together with the next parts of `todo` (up to SIGN_BATCH), so few requests sign them all.
  ResumableUpload.prototype.sign = function (numbers, todo) {
    var self = this, now = Date.now();
    function fresh(n) {
      var target = self.signed[n];
      return target && (!target.expires_at || Date.parse(target.expires_at) - now > URL_MARGIN_MS);
    }
    var wanted = numbers.filter(function (n) { return !fresh(n); });
    if (!wanted.length) return Promise.resolve();
    todo.forEach(function (n) {
      if (wanted.length < SIGN_BATCH && wanted.indexOf(n) < 0 && !fresh(n)) wanted.push(n);
    });
    return api("POST", "/api/uploads/" + this.upload.id + "/parts", { numbers: wanted }, this.csrf).then(function (answer) {
      answer.parts.forEach(function (target) { self.signed[target.number] = target; });
    });
  };

  ResumableUpload.prototype.sendPart = function (number, request, target) {
    var self = this;
    var start = (number - 1) * this.upload.part_size;
    request.open(target.method, target.url);
    Object.keys(target.headers).forEach(function (name) { request.setRequestHeader(name, target.headers[name]); });
    request.upload.addEventListener("progress", function (event) {
      self.sentThisSession += event.loaded - (self.loaded[number] || 0);
      self.loaded[number] = event.loaded;
      self.report();
    });
    request.addEventListener("load", function () {
      if (request.status >= 200 && request.status < 300) self.partDone(number);
      else self.partFailed(number, request.status, request.getResponseHeader("Retry-After"));
    });
    request.addEventListener("error", function () { self.partFailed(number, 0); });
    request.addEventListener("abort", function () { self.forget(number); });
    request.send(this.file.slice(start, start + this.partBytes(number)));
  };

  ResumableUpload.prototype.forget = function (number) {
    this.sentThisSession -= this.loaded[number] || 0;
    delete this.inFlight[number];
    delete this.loaded[number];
  };

  ResumableUpload.prototype.partDone = function (number) {
    this.sentThisSession += this.partBytes(number) - (this.loaded[number] || 0);
    delete this.inFlight[number];
    delete this.loaded[number];
    this.done[number] = true;
    this.failures = 0;
    this.ui.state("uploading");
    this.report();
    this.pump();
  };

  ResumableUpload.prototype.partFailed = function (number, status, retryAfter) {
    this.forget(number);
    this.retryLater(retryAfter);
  };

  // A request worth retrying failed (a part's, or the whole upload's complete): back off, then pump.
  ResumableUpload.prototype.retryLater = function (retryAfter) {
    var self = this;
    if (this.paused) return;
    var delay = retryAfter ? parseInt(retryAfter, 10) * 1000 : BACKOFF_MS[Math.min(this.failures, BACKOFF_MS.length - 1)];
    this.failures += 1;
    this.ui.state(navigator.onLine === false ? "offline: resumes when the network is back" : "retrying in " + Math.round(delay / 1000) + " s");
    if (this.waitingFor !== WAITING_FOR.NOTHING) return;
    this.waitingFor = WAITING_FOR.RETRY;
    this.retryTimer = setTimeout(function () {
      self.stopWaiting();
      self.pump();
    }, delay);
  };

  ResumableUpload.prototype.stopWaiting = function () {
    this.waitingFor = WAITING_FOR.NOTHING;
    this.retryTimer = null;
  };

  ResumableUpload.prototype.report = function () {
    var sent = 0, self = this;
    Object.keys(this.done).forEach(function (n) { sent += self.partBytes(Number(n)); });
    Object.keys(this.loaded).forEach(function (n) { sent += self.loaded[n]; });
    var seconds = Math.max((Date.now() - this.started) / 1000, 0.001);
    this.ui.progress(Math.min(sent, this.file.size), this.file.size, Math.max(this.sentThisSession, 0) / seconds);
  };

  ResumableUpload.prototype.pause = function () {
    this.paused = true;
    var self = this;
    Object.keys(this.inFlight).forEach(function (n) {
      var request = self.inFlight[n];
      self.forget(n);
      if (request.readyState > 0) request.abort();
    });
    if (this.retryTimer !== null) clearTimeout(this.retryTimer);
    this.stopWaiting();
    this.ui.state("paused");
  };

  ResumableUpload.prototype.resume = function () {
    this.paused = false;
    this.failures = 0;
    this.started = Date.now();
    this.sentThisSession = 0;
    this.ui.state("uploading");
    this.pump();
  };

  ResumableUpload.prototype.complete = function () {
    var self = this;
    this.waitingFor = WAITING_FOR.JOIN;  // no pumping while the server joins the parts
    this.ui.state("checking the video");
    api("POST", "/api/uploads/" + this.upload.id + "/complete", undefined, this.csrf).then(function (job) {
      self.stopWaiting();
      self.finish();
      localStorage.removeItem(remembered(self.file, self.options));
      self.ui.done(job);
    }, function (error) {
      self.stopWaiting();
      if (error.body.code === "upload_incomplete") {  // the server did not get one whole: resend it
        return api("GET", "/api/uploads/" + self.upload.id, undefined, self.csrf).then(function (upload) {
          self.done = {};
          upload.parts_done.forEach(function (n) { self.done[n] = true; });
          self.pump();
        });
      }
      if (transient(error)) return self.retryLater(error.retryAfter);
      localStorage.removeItem(remembered(self.file, self.options));
      self.fail(error);
    });
  };

  ResumableUpload.prototype.finish = function () {
    this.finished = true;
    window.removeEventListener("online", this.onOnline);
  };

  ResumableUpload.prototype.fail = function (error) {
    this.finish();
    this.ui.failed((error.body && error.body.detail) || "the upload failed (" + error.status + ")");
  };

  window.SqueezeUpload = ResumableUpload;
})();
