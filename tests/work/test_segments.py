"""A split job's helper: it encodes its segment from the input where it is stored, copying none,
when a seek reads little of it (the coordinator measured it)."""

from __future__ import annotations

import secrets
import uuid
from pathlib import Path

import pytest
from flask import Flask

from app.jobs import lifecycle
from app.jobs import segments as claims
from app.jobs.models import Job
from app.media.fence import StoreUrl
from app.media.segments import Segment
from app.storage import input_key
from app.storage.s3 import Credentials, S3Storage
from app.work import segments
from app.work.lease import Shutdown
from app.work.segment_encode import Context
from app.work.steps import Steps
from tests.conftest import make_clip
from tests.live.servers import SeaweedFS
from tests.media.crafted import seek_indexed


@pytest.mark.slow
@pytest.mark.parametrize("in_place", [True, False], ids=["in place", "copied"])
def test_a_helper_reads_the_stored_input_in_place(
    app: Flask, seaweed: SeaweedFS, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, in_place: bool
) -> None:
    """From S3, through a presigned URL ffmpeg reads in ranges, nothing of the input in the
    helper's scratch; or, for an input without a seek index, as a copy."""
    seaweed.create_bucket("helpers")
    credentials: Credentials = {
        "aws_access_key_id": seaweed.access_key,
        "aws_secret_access_key": seaweed.secret_key,
    }
    app.extensions["storage"] = S3Storage(
        "helpers", secrets.token_hex(4), seaweed.endpoint, credentials=credentials
    )
    video = make_clip(tmp_path / "in.mp4", seconds=4.0)
    seen: list[tuple[Context, int]] = []

    def encode(context: Context, *_args: object) -> bool:
        seen.append(
            (context, sum(path.stat().st_size for path in context.folder.rglob("*") if path.is_file()))
        )
        return True

    monkeypatch.setattr(segments, "encode_claimed", encode)
    monkeypatch.setattr("os.nice", lambda _increment: 0)  # not the test's own process
    monkeypatch.setattr(Shutdown, "install", lambda: None)
    with app.app_context():
        job = lifecycle.create(Job(id=str(uuid.uuid4()), owner="o", input={}, options={}))
        lifecycle.start(job.id)
        app.extensions["storage"].put(input_key(job.id), video)
        plan = [Segment(n, 50 * n, 50, 2.0 * n, 2.0, 2.0 * n) for n in range(2)]
        claims.record_plan(job.id, plan, [0.0, 2.0], in_place=in_place)
        segments.help_with(job.id)
    ((context, scratch_bytes),) = seen
    size = video.stat().st_size
    assert context.input_size == size and context.info.duration_seconds == pytest.approx(4.0, abs=0.1)
    if in_place:
        assert isinstance(context.source, StoreUrl) and "X-Amz-Signature=" in context.source
        assert scratch_bytes == 0, "no copy of the input on the helper's host (its lock file is empty)"
    else:
        assert isinstance(context.source, Path) and scratch_bytes == size


@pytest.mark.parametrize("piped", [False, True], ids=["mp4", "matroska without cues"])
def test_the_coordinator_measures_whether_a_seek_reads_little(
    app: Flask, tmp_path: Path, piped: bool
) -> None:
    """An mp4 seeks from its sample tables: helpers read it in place. A Matroska stream written
    to a pipe (as a browser records) has no cues: a seek reads all before it, so it is copied."""
    source = seek_indexed(tmp_path / "source", indexed=not piped)
    with app.app_context():
        job = lifecycle.create(Job(id=str(uuid.uuid4()), owner="o", input={}, options={}))
        lifecycle.start(job.id)
        steps = Steps(job.id, 0.0, app.config)
        times = [frame / 25 for frame in range(500)]  # 20 s, a keyframe every 2 s
        cheap = segments.seeks_cheaply(source, times, times[::50], steps)
    assert cheap is not piped
