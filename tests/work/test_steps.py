"""A step of an attempt: how an ffmpeg run's end becomes the job's (or a segment's) fate."""

from __future__ import annotations

import http.server
import threading
import uuid
from collections.abc import Iterator

import pytest
from flask import Flask

from app.jobs import lifecycle
from app.jobs.models import Job
from app.media.fence import StoreUrl, input_args
from app.work.failures import Interrupted
from app.work.steps import Steps
from tests.conftest import FFMPEG


class _Expired(http.server.BaseHTTPRequestHandler):
    """What a store answers a presigned URL past its time."""

    def do_GET(self) -> None:
        self.send_response(403, "Forbidden")
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *_args: object) -> None:
        pass


@pytest.fixture()
def expired_url() -> Iterator[StoreUrl]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Expired)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield StoreUrl(f"http://127.0.0.1:{server.server_port}/bucket/jobs/x/input?X-Amz-Signature=f00d")
    finally:
        server.shutdown()
        server.server_close()


def test_a_store_that_cannot_be_read_gives_the_step_back_for_another_try(
    app: Flask, expired_url: StoreUrl
) -> None:
    """Not the video's fault: the segment goes back to be taken again, and no job fails."""
    with app.app_context():
        job = lifecycle.create(Job(id=str(uuid.uuid4()), owner="o", input={}, options={}))
        lifecycle.start(job.id)
        steps = Steps(job.id, 0.0, app.config)
        read = [FFMPEG, "-hide_banner", *input_args(expired_url), "-f", "null", "-"]
        with pytest.raises(Interrupted) as stopped:
            steps.run(read, None, steps.here())
    assert stopped.value.retry and stopped.value.code == "storage_unavailable"
    assert "Signature" not in str(stopped.value)
