"""A split job's helper: it encodes its segment from the input where it is stored, copying none
where the container seeks by index."""

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
from tests.conftest import make_clip
from tests.live.servers import SeaweedFS


@pytest.mark.slow
@pytest.mark.parametrize("name", ["in.mp4", "in.mkv"])
def test_a_helper_reads_the_stored_input_in_place(
    app: Flask, seaweed: SeaweedFS, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, name: str
) -> None:
    """From S3, an mp4 through a presigned URL ffmpeg reads in ranges, nothing of it in the
    helper's scratch; a Matroska file (its cues optional: a seek could read all before it) as
    a copy, as before."""
    seaweed.create_bucket("helpers")
    credentials: Credentials = {
        "aws_access_key_id": seaweed.access_key,
        "aws_secret_access_key": seaweed.secret_key,
    }
    app.extensions["storage"] = S3Storage(
        "helpers", secrets.token_hex(4), seaweed.endpoint, credentials=credentials
    )
    video = make_clip(tmp_path / name, seconds=4.0)
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
        claims.record_plan(
            job.id, [Segment(n, 50 * n, 50, 2.0 * n, 2.0, 2.0 * n) for n in range(2)], [0.0, 2.0]
        )
        segments.help_with(job.id)
    ((context, scratch_bytes),) = seen
    size = video.stat().st_size
    assert context.input_size == size and context.info.duration_seconds == pytest.approx(4.0, abs=0.1)
    if name.endswith(".mp4"):
        assert isinstance(context.source, StoreUrl) and "X-Amz-Signature=" in context.source
        assert scratch_bytes == 0, "no copy of the input on the helper's host (its lock file is empty)"
    else:
        assert isinstance(context.source, Path) and scratch_bytes == size
