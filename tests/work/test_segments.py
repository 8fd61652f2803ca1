"""A split job's helper: it encodes its segment from the input where it is stored, copying none,
when a seek reads little of it (the coordinator measured it), else from a seekable copy of its
video the coordinator stored."""

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
from app.storage import input_key, job_storage, seekable_key
from app.storage.s3 import Credentials, S3Storage
from app.work import segments
from app.work.lease import Shutdown
from app.work.segment_encode import Context
from tests.conftest import make_clip
from tests.live.servers import SeaweedFS


@pytest.mark.slow
@pytest.mark.parametrize("reads", ["in place", "seekable copy", "copied"])
def test_a_helper_reads_the_stored_input_in_place(
    app: Flask, seaweed: SeaweedFS, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, reads: str
) -> None:
    """From S3, through a presigned URL ffmpeg reads in ranges, nothing of the input in the
    helper's scratch: the input itself, or the seekable copy of its video the coordinator stored
    (the input's header still describes it); or, as planned before such copies, a copy."""
    seaweed.create_bucket("helpers")
    credentials: Credentials = {
        "aws_access_key_id": seaweed.access_key,
        "aws_secret_access_key": seaweed.secret_key,
    }
    app.extensions["storage"] = S3Storage(
        "helpers", secrets.token_hex(4), seaweed.endpoint, credentials=credentials
    )
    video = make_clip(tmp_path / "in.mp4", seconds=4.0)
    seekable = make_clip(tmp_path / "seekable.mkv", seconds=3.0, size="160x120")
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
        app.extensions["storage"].put(seekable_key(job.id), seekable)
        plan = [Segment(n, 50 * n, 50, 2.0 * n, 2.0, 2.0 * n) for n in range(2)]
        in_place, copy = reads == "in place", reads == "seekable copy"
        claims.record_plan(job.id, plan, [0.0, 2.0], in_place=in_place, seekable_copy=copy)
        segments.help_with(job.id)
    ((context, scratch_bytes),) = seen
    size = video.stat().st_size
    assert context.input_size == size and context.info.duration_seconds == pytest.approx(4.0, abs=0.1)
    assert context.info.width == 320, "described from the input's own header (the copy is 160 wide)"
    if reads == "copied":
        assert isinstance(context.source, Path) and scratch_bytes == size
    else:
        assert isinstance(context.source, StoreUrl) and "X-Amz-Signature=" in context.source
        assert ("seekable.mkv" in context.source) is copy
        assert scratch_bytes == 0, "no copy of the input on the helper's host (its lock file is empty)"


def test_the_coordinator_stores_its_seekable_copy_for_the_helpers_and_keeps_it(
    app: Flask, tmp_path: Path
) -> None:
    copy = make_clip(tmp_path / "seekable.mkv", seconds=1.0, size="160x120")
    with app.app_context():
        job = lifecycle.create(Job(id=str(uuid.uuid4()), owner="o", input={}, options={}))
        assert segments.store_seekable_copy(job.id, copy)
        assert (
            job_storage().fetch(seekable_key(job.id), tmp_path / "fetched").read_bytes() == copy.read_bytes()
        )
    assert copy.exists(), "the coordinator encodes its own segments from it"
