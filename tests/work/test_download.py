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
from app.work.failures import JobFailed


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


@pytest.fixture()
def trickle() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Trickle)
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
        with pytest.raises(JobFailed) as failure:
            download.fetch_source(job, tmp_path)
    assert failure.value.code == "source_too_slow" and "too slow" in str(failure.value)
