"""A real Squeeze: redis-server, gunicorn with the gevent worker, and RQ worker processes."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from collections.abc import Set as AbstractSet
from pathlib import Path
from typing import Any

import redis
import requests

from app import ROOT
from app.embedded_redis import EmbeddedRedis, free_port
from app.storage import job_prefix
from tests.live.backends import SQLITE_FILE, Backend

START_TIMEOUT_SECONDS = 30
# A lost worker is noticed within LEASE_SECONDS + MAINTENANCE_SECONDS: seconds, not the half
# minute of the defaults, so fault tests spend their time on faults, not on waiting.
RECOVERY_SETTINGS = {"LEASE_SECONDS": "6", "MAINTENANCE_SECONDS": "2"}
# By configuration (``Backend.schema_key``), a database as the release step leaves it, copied for each
# new stack: `flask db upgrade` (~2.5 s of CPU) runs for the first stack of each configuration in
# a test process, not for every stack.
MIGRATED: dict[str, str] = {}
# A long poll's longest hold (the contract allows 60 s): a test's deadline is checked between holds.
LONG_POLL_SECONDS = 10


class Api:
    """A client's calls to one Squeeze web address (``url``)."""

    def __init__(self, url: str) -> None:
        self.url = url

    def submit(self, clip: Path, headers: dict[str, str] | None = None, **fields: Any) -> requests.Response:
        with clip.open("rb") as handle:
            return requests.post(self.url + "/api/jobs", files={"file": (clip.name, handle)},
                                 data=fields, headers=headers, timeout=60)  # fmt: skip

    def job(self, job_id: str, headers: dict[str, str] | None = None) -> dict[str, Any]:
        response = requests.get(f"{self.url}/api/jobs/{job_id}", headers=headers, timeout=30)
        response.raise_for_status()
        return response.json()

    def follow(
        self,
        job_id: str,
        reached: Callable[[dict[str, Any]], bool],
        timeout: float,
        what: str,
        headers: dict[str, str] | None = None,
    ) -> dict[str, Any]:
        """Long-poll the job (``Prefer: wait``, ``If-None-Match``) until ``reached(job)``: the job.

        Each answer comes when the job changes, so a wait costs a request per change (at most
        two a second while it runs), not one every few milliseconds of a clock."""
        deadline = time.monotonic() + timeout
        response = requests.get(f"{self.url}/api/jobs/{job_id}", headers=headers, timeout=30)
        response.raise_for_status()
        job, tag = response.json(), response.headers["ETag"]
        while not reached(job):
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError(f"timed out after {timeout} s waiting for {what}: {job}")
            wait = max(1, min(round(left), LONG_POLL_SECONDS))
            held = {**(headers or {}), "Prefer": f"wait={wait}", "If-None-Match": tag}
            response = requests.get(f"{self.url}/api/jobs/{job_id}", headers=held, timeout=wait + 30)
            response.raise_for_status()
            if response.status_code != 304:
                job, tag = response.json(), response.headers["ETag"]
        return job

    def wait_for_status(
        self,
        job_id: str,
        statuses: AbstractSet[str],
        timeout: float = 120,
        headers: dict[str, str] | None = None,
    ) -> dict[str, Any]:
        """Follow the job until it is in one of ``statuses``; the job."""
        what = f"job {job_id} to reach {statuses}"
        return self.follow(job_id, lambda job: job["status"] in statuses, timeout, what, headers)


def registered_workers(redis_server: EmbeddedRedis) -> int:
    """RQ workers alive in ``redis_server`` (each worker process runs two: compression, webhooks)."""
    client = redis.Redis.from_url(redis_server.url, **redis_server.client_options)  # type: ignore[arg-type]
    try:
        return int(client.scard("rq:workers"))
    finally:
        client.close()


class LiveStack(Api):
    """Processes started in their own sessions, so each can be killed with all its children."""

    def __init__(
        self,
        folder: Path,
        start_worker: bool = True,
        web_processes: int = 1,
        backend: Backend = SQLITE_FILE,
        tls: bool = False,
        **settings: str,
    ) -> None:
        """``tls``: the web server itself speaks HTTPS (a self-signed certificate), as behind a proxy."""
        self.folder = folder
        self.tls = tls
        self.certificate = folder / "web-cert.pem"  # the web server's, when ``tls``
        self.web_processes = web_processes
        self.backend = backend
        folder.mkdir(parents=True, exist_ok=True)
        self.web: subprocess.Popen[bytes] | None = None
        self.workers: list[subprocess.Popen[bytes]] = []
        self.port = free_port()
        super().__init__(f"{'https' if tls else 'http'}://127.0.0.1:{self.port}")
        self.scratch = folder / "scratch"
        self.redis = EmbeddedRedis(tls=backend.tls_redis).start()
        try:
            self._start(settings, start_worker)
        except BaseException:  # a stack that did not start leaves nothing running (its Redis above all)
            self.stop()
            raise

    def _start(self, settings: dict[str, str], start_worker: bool) -> None:
        """Its store and database, then its web server and (``start_worker``) a worker."""
        backend = self.backend
        schema = MIGRATED.get(backend.schema_key)
        stored = backend.settings(self.folder, schema)
        self.storage = backend.storage(stored)
        self.env = {
            **os.environ,
            "REDIS_URL": self.redis.url,
            **({"REDIS_SSL_CERT_REQS": "none"} if backend.tls_redis else {}),
            **stored,
            "SCRATCH_DIR": str(self.scratch),
            "SECRET_KEY": "live-test-secret",
            "WEBHOOK_ALLOW_PRIVATE": "1",
            "PYTHONUNBUFFERED": "1",
            "SUBMIT_RATE_LIMIT": "100000 per minute",  # tests submit fast; the limit has its own test
            **RECOVERY_SETTINGS,
            **settings,
        }
        if schema is None:  # the Procfile's release step
            subprocess.run([sys.executable, "-m", "flask", "--app", "wsgi", "db", "upgrade"], env=self.env,
                           cwd=ROOT, check=True, capture_output=True)  # fmt: skip
            kept = backend.keep_schema(stored, self.folder)
            if kept is not None:
                MIGRATED[backend.schema_key] = kept
        self.start_web()
        if start_worker:
            self.start_worker()

    def _spawn(self, args: list[str], log_name: str) -> subprocess.Popen[bytes]:
        log = (self.folder / log_name).open("ab")
        return subprocess.Popen(args, cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT,
                                start_new_session=True)  # fmt: skip

    def start_web(self) -> None:
        args = [sys.executable, "-m", "gunicorn", "-c", "app/webserver.py", "-w", str(self.web_processes)]
        args += ["--worker-connections", "3000", "-b", f"127.0.0.1:{self.port}", "--graceful-timeout", "2"]
        if self.tls:
            key = self.folder / "web-key.pem"
            self_signed(self.certificate, key)
            args += ["--certfile", str(self.certificate), "--keyfile", str(key)]
        args += ["wsgi:app"]
        self.web = self._spawn(args, "web.log")
        verify = str(self.certificate) if self.tls else True
        wait_until(
            lambda: serves(self.url + "/readyz", verify), START_TIMEOUT_SECONDS, "the web server to start"
        )

    def start_worker(self, prefix: list[str] | None = None) -> subprocess.Popen[bytes]:
        """Start ``python worker.py`` (after ``prefix``, e.g. ``["taskset", "-c", "0"]``)."""
        args = [*(prefix or []), sys.executable, "worker.py"]
        worker = self._spawn(args, f"worker-{len(self.workers)}.log")
        self.workers.append(worker)
        wait_until(lambda: self.worker_count() >= 2 * len(self.alive_workers()), START_TIMEOUT_SECONDS,
                   "the worker to register")  # fmt: skip
        return worker

    def alive_workers(self) -> list[subprocess.Popen[bytes]]:
        return [w for w in self.workers if w.poll() is None]

    def redis_client(self) -> redis.Redis:
        """A client of the stack's Redis (TLS or not); close it after use."""
        return redis.Redis.from_url(self.redis.url, **self.redis.client_options)  # type: ignore[arg-type]

    def worker_count(self) -> int:
        return registered_workers(self.redis)

    def objects(self, job_id: str) -> list[str]:
        """The names of the job's stored objects (``input``, ``output.mp4``), wherever they are stored."""
        prefix = job_prefix(job_id)
        return [key.removeprefix(prefix) for key in self.storage.keys(prefix)]

    def scratch_of(self, job_id: str) -> list[Path]:
        """Scratch folders of a job's attempts on this stack's worker host."""
        return sorted(self.scratch.glob(f"job-{job_id}-*"))

    def kill(self, process: subprocess.Popen[bytes], sig: int = signal.SIGKILL) -> None:
        """Signal a process and every process of its session (work-horses, ffmpeg, the webhook worker).

        RQ puts each work-horse in a process group of its own, so the session is what holds them all.
        """
        for pid in session_members(process.pid):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, sig)
        if sig in (signal.SIGKILL, signal.SIGTERM):
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.kill(process, signal.SIGKILL)
                process.wait()

    def stop(self) -> None:
        for process in [*self.workers, self.web]:
            if process is not None and process.poll() is None:
                self.kill(process, signal.SIGTERM)
        self.redis.stop()

    def log(self, name: str) -> str:
        path = self.folder / name
        return path.read_text(errors="replace") if path.exists() else ""


def wait_until(check: Callable[[], bool], timeout: float, what: str, interval: float = 0.1) -> None:
    """Poll ``check`` until it is true; fail naming ``what`` after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(interval)


def serves(url: str, verify: str | bool = True) -> bool:
    """Whether ``url`` answers 200 (a web server is up and ready)."""
    try:
        return requests.get(url, timeout=5, verify=verify).status_code == 200
    except (requests.ConnectionError, requests.Timeout):
        return False


def self_signed(cert: Path, key: Path) -> None:
    if not cert.exists():
        subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
                        "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
                        "-keyout", str(key), "-out", str(cert)], check=True, capture_output=True)  # fmt: skip


def live_processes() -> Iterator[tuple[int, list[str], bytes]]:
    """(pid, stat fields after the name: state ppid pgrp session ..., command line) of every live process."""
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(") ", 1)[1].split()
                cmdline = (entry / "cmdline").read_bytes()
            except (OSError, IndexError):
                continue
            if fields[0] != "Z":
                yield int(entry.name), fields, cmdline


def processes_mentioning(text: str) -> list[int]:
    """Pids of live processes whose command line contains ``text`` (a job id: its ffmpeg)."""
    return [pid for pid, _fields, cmdline in live_processes() if text.encode() in cmdline]


def session_members(session_id: int) -> list[int]:
    """Pids of the live processes in session ``session_id``."""
    return [pid for pid, fields, _cmdline in live_processes() if int(fields[3]) == session_id]
