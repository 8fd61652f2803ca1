"""A step of an attempt: how an ffmpeg run's end becomes the job's (or a segment's) fate."""

from __future__ import annotations

import http.server
import re
import signal
import ssl
import threading
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask

from app.jobs import lifecycle
from app.jobs.models import Job
from app.media.command import step_head
from app.media.fence import StoreUrl, input_args
from app.work.failures import Interrupted, JobFailed
from app.work.steps import Steps
from tests.conftest import FFMPEG, make_clip
from tests.live.stack import self_signed


class _Store(http.server.BaseHTTPRequestHandler):
    """A store that cuts its first answer off after ``cut_at`` bytes of ``video``, then fails
    every read (a presigned URL past its time: 403) unless it ``resumes``; with no video, it
    refuses the first read."""

    protocol_version = "HTTP/1.1"
    url: StoreUrl
    trust: list[str]  # what tells ffmpeg to trust this store's certificate
    video: bytes = b""
    cut_at = 0
    resumes = False
    answered = 0

    def do_GET(self) -> None:
        asked = re.fullmatch(r"bytes=(\d+)-\d*", self.headers.get("Range", "bytes=0-"))
        start = int(asked[1]) if asked else 0
        type(self).answered += 1
        serves = start < self.cut_at if self.answered == 1 else self.resumes
        if not serves:
            self.send_response(403, "Forbidden")
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        self.send_response(206 if start else 200)
        self.send_header("Content-Length", str(len(self.video) - start))
        self.send_header("Content-Range", f"bytes {start}-{len(self.video) - 1}/{len(self.video)}")
        self.send_header("Accept-Ranges", "bytes")
        self.end_headers()
        if self.answered > 1:
            self.wfile.write(self.video[start:])
            return
        self.wfile.write(self.video[start : self.cut_at])
        self.close_connection = True  # the rest never comes on this connection

    def log_message(self, *_args: object) -> None:
        pass


@pytest.fixture(params=["http", "https"])
def store(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[type[_Store]]:
    """The store at an http:// URL, or behind TLS (a self-signed certificate ffmpeg is told of:
    it checks certificates against the host's CA bundle)."""
    handler = type("Store", (_Store,), {"trust": []})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    if request.param == "https":
        folder = tmp_path_factory.mktemp("tls")
        certificate, key = folder / "cert.pem", folder / "key.pem"
        self_signed(certificate, key)
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(certificate, key)
        server.socket = context.wrap_socket(server.socket, server_side=True)
        handler.trust = ["-ca_file", str(certificate)]
    address = f"{request.param}://127.0.0.1:{server.server_port}"
    handler.url = StoreUrl(f"{address}/bucket/jobs/x/input?X-Amz-Signature=f00d")
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield handler
    finally:
        server.shutdown()
        server.server_close()


def _copy(store: type[_Store]) -> list[str]:
    read = [*step_head(FFMPEG), *store.trust, *input_args(store.url)]
    return [*read, "-map", "0:v", "-c", "copy", "-f", "null", "-"]


def _steps(app: Flask) -> Steps:
    job = lifecycle.create(Job(id=str(uuid.uuid4()), owner="o", input={}, options={}))
    lifecycle.start(job.id)
    return Steps(job.id, 0.0, app.config)


def test_a_store_that_refuses_the_read_gives_the_step_back_for_another_try(
    app: Flask, store: type[_Store]
) -> None:
    """Not the video's fault: the segment goes back to be taken again, and no job fails."""
    with app.app_context():
        steps = _steps(app)
        read = [*step_head(FFMPEG), *store.trust, *input_args(store.url), "-f", "null", "-"]
        with pytest.raises(Interrupted) as stopped:
            steps.run(read, None, steps.here())
    assert stopped.value.retry and stopped.value.code == "storage_unavailable"
    assert "Signature" not in str(stopped.value)


@pytest.mark.parametrize("whole", [True, False], ids=["an encode", "a sample"])
def test_a_read_cut_short_mid_file_is_the_stores_fault_not_a_damaged_video(
    app: Flask, store: type[_Store], tmp_path: Path, whole: bool
) -> None:
    """ffmpeg ends a cut-short read as if the file ended there, with exit status 0: an encode
    that must read it all would fail the job as damaged, a sample would score too few frames."""
    video = make_clip(tmp_path / "in.mp4", seconds=8.0, audio=False)
    store.video, store.cut_at = video.read_bytes(), video.stat().st_size // 3
    with app.app_context():
        steps = _steps(app)
        with pytest.raises(Interrupted) as stopped:
            steps.run(_copy(store), 8.0, steps.here(), whole=whole)
    assert stopped.value.code == "storage_unavailable" and stopped.value.retry


def test_a_read_cut_short_and_resumed_reads_every_frame(
    app: Flask, store: type[_Store], tmp_path: Path
) -> None:
    video = make_clip(tmp_path / "in.mp4", seconds=8.0, audio=False)
    store.video, store.cut_at, store.resumes = video.read_bytes(), video.stat().st_size // 3, True
    with app.app_context():
        steps = _steps(app)
        done = steps.run(_copy(store), 8.0, steps.here(), whole=True)
    assert done.seconds_done == pytest.approx(8.0, abs=0.1) and store.answered == 2, (
        "picked up where it broke"
    )


@pytest.mark.parametrize(
    ("what_happened", "code"),
    [("another worker runs it", "superseded"), ("queued again", "superseded"), ("canceled", "canceled")],
)
def test_a_step_of_an_attempt_the_job_moved_on_from_stops_and_says_why(
    app: Flask, what_happened: str, code: str
) -> None:
    """An attempt whose lease lapsed wakes up to a job the reconciler gave to another worker: its
    ffmpeg stops, and it leaves the job (and a split job's segments) to that attempt; a canceled
    job's attempt stops as canceled."""
    slow = [*step_head(FFMPEG), "-re", "-f", "lavfi", "-i", "testsrc2=size=160x120:rate=25:duration=60"]
    with app.app_context():
        job = lifecycle.create(Job(id=str(uuid.uuid4()), owner="o", input={}, options={}))
        lifecycle.start(job.id)
        steps = Steps(job.id, 0.0, app.config, attempt=1)
        if what_happened == "canceled":
            lifecycle.cancel(job.id)
        else:
            lifecycle.requeue(job.id, attempt=1)  # the reconciler: this attempt's lease lapsed
        if what_happened == "another worker runs it":
            lifecycle.start(job.id)
        with pytest.raises(Interrupted) as stopped:
            steps.run([*slow, "-f", "null", "-"], 60.0, steps.here())
        assert (stopped.value.code, stopped.value.retry) == (code, False)


def test_an_ffmpeg_killed_from_outside_is_tried_again_and_a_crash_fails(app: Flask) -> None:
    """SIGKILL is the host's out-of-memory killer or an operator: another attempt (on this host
    or another) may well finish, where the job failed at once. A crash is the input's doing."""
    with app.app_context():
        steps = _steps(app)
        with pytest.raises(Interrupted) as killed:
            steps.run(["sh", "-c", f"kill -{signal.SIGKILL} $$"], None, steps.here())
        with pytest.raises(JobFailed) as crashed:
            steps.run(["sh", "-c", f"kill -{signal.SIGSEGV} $$"], None, steps.here())
    assert (
        killed.value.retry and killed.value.code == "ffmpeg_killed" and "out-of-memory" in str(killed.value)
    )
    assert crashed.value.code == "ffmpeg_crashed" and "signal 11" in str(crashed.value)
