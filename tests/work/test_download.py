"""A source URL that trickles is given up on, not waited for until the job's time limit."""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from flask import Flask

from app.jobs import lifecycle
from app.jobs.models import Job
from app.work import download
from app.work.failures import Interrupted, JobFailed


class _Trickle(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        self.send_response(200)
        self.send_header("Content-Length", "1000000")
        self.end_headers()
        try:
            for _ in range(100):  # 10 bytes every 0.1 s: 100 B/s, for at most 10 s
                self.wfile.write(b"x" * 10)
                self.wfile.flush()
                time.sleep(0.1)
        except OSError:
            return  # the client gave up: as it should

    def log_message(self, *_args: object) -> None:
        return


class _UnsizedTrickle(_Trickle):
    """The same trickle with no Content-Length: the body ends when the connection closes."""

    def send_header(self, keyword: str, value: str) -> None:
        if keyword != "Content-Length":
            super().send_header(keyword, value)


@pytest.fixture(params=[_Trickle, _UnsizedTrickle], ids=["sized", "unsized"])
def trickle(request: pytest.FixtureRequest) -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), request.param)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/video.mp4"
    server.shutdown()


def test_a_trickling_source_fails_the_job_soon_with_a_reason(
    app: Flask, trickle: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(download, "RATE_WINDOW_SECONDS", 0.5)
    monkeypatch.setattr(download, "MIN_BYTES_PER_WINDOW", 1000)  # 2 KB/s asked, 100 B/s given
    app.config["WEBHOOK_ALLOW_PRIVATE"] = True
    with app.app_context():
        job = lifecycle.create(Job(id=str(uuid.uuid4()), owner="o", input={}, options={}, source_url=trickle))
        lifecycle.start(job.id)
        with pytest.raises(JobFailed) as failure:
            download.fetch_source(job, 1, tmp_path)
    assert failure.value.code == "source_too_slow" and "too slow" in str(failure.value)


def test_a_download_stops_once_its_job_has_gone_to_another_attempt(
    app: Flask, trickle: str, tmp_path: Path
) -> None:
    """Attempt 1 paused past its lease; the job is on attempt 2: its download stops at its first
    report, rather than fetching (and storing) the whole source for nobody; so it does when the
    source does not say its length (a cancel went unnoticed there until the download ended)."""
    app.config["WEBHOOK_ALLOW_PRIVATE"] = True
    with app.app_context():
        job = lifecycle.create(Job(id=str(uuid.uuid4()), owner="o", input={}, options={}, source_url=trickle))
        lifecycle.start(job.id)
        lifecycle.requeue(job.id, attempt=1)
        lifecycle.start(job.id)
        with pytest.raises(Interrupted) as stopped:
            download.fetch_source(job, 1, tmp_path)
    assert not stopped.value.retry


class _CutShort(BaseHTTPRequestHandler):
    """Says 10,000 bytes, sends 4,000 and closes: a connection that broke off."""

    def do_GET(self) -> None:
        self.send_response(200)
        self.send_header("Content-Length", "10000")
        self.end_headers()
        self.wfile.write(b"x" * 4000)

    def log_message(self, *_args: object) -> None:
        return


def test_a_download_cut_short_is_named_as_such_not_blamed_on_the_file(app: Flask, tmp_path: Path) -> None:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _CutShort)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    app.config["WEBHOOK_ALLOW_PRIVATE"] = True
    source = f"http://127.0.0.1:{server.server_address[1]}/video.mp4"
    try:
        with app.app_context():
            made = Job(id=str(uuid.uuid4()), owner="o", input={}, options={}, source_url=source)
            job = lifecycle.create(made)
            lifecycle.start(job.id)
            with pytest.raises(JobFailed) as failure:
                download.fetch_source(job, 1, tmp_path)
    finally:
        server.shutdown()
    assert failure.value.code == "source_unreachable"
    assert str(failure.value).endswith("broke off after 4000 of its 10000 bytes")
