"""A split job's helper: it encodes its segment from the input where it is stored, copying none,
when a seek reads little of it (the coordinator measured it), else from a seekable copy of its
video the coordinator stored."""

from __future__ import annotations

import secrets
import subprocess
import uuid
from pathlib import Path

import pytest
from flask import Flask

from app.jobs import lifecycle
from app.jobs import segments as claims
from app.jobs.models import Job
from app.media import probe
from app.media.fence import StoreUrl
from app.media.segments import Segment
from app.storage import input_key, job_storage, seekable_key
from app.storage.s3 import Credentials, S3Storage
from app.work import segments
from app.work.lease import Shutdown
from app.work.segment_encode import Context
from app.work.steps import Steps
from app.work.verify import frame_and_keyframe_times
from tests.conftest import FFMPEG, make_clip
from tests.live.servers import SeaweedFS
from tests.media.crafted import seek_indexed


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


def _recorded(path: Path, kind: str) -> Path:
    """8 s of noisy 640x360 (a keyframe every second) with sound starting half a second before
    the picture, as a stream without a seek index: Matroska written to a pipe, or MPEG-TS (its
    sound AAC, or Blu-ray's PCM, which Matroska cannot hold)."""
    picture = "testsrc2=size=640x360:rate=25:duration=8,noise=alls=20:allf=t"
    inputs = ["-itsoffset", "0.5", "-f", "lavfi", "-i", picture, "-f", "lavfi", "-i", "sine=duration=8.5"]
    sound = ["-c:a", "pcm_bluray"] if kind == "mpegts-pcm" else ["-c:a", "aac"]
    codec = ["-c:v", "libx264", "-preset", "ultrafast", "-crf", "16", "-g", "25", "-bf", "2", *sound]
    muxer = ["-f", "matroska"] if kind == "matroska" else ["-f", "mpegts"]
    with path.open("wb") as out:
        subprocess.run([FFMPEG, "-v", "error", *inputs, *codec, *muxer, "pipe:1"], stdout=out, check=True)
    return path


def _coordinating(app: Flask, tmp_path: Path) -> tuple[Job, Steps, Path]:
    """A running job, its coordinator's steps and scratch folder (in an app context)."""
    job = lifecycle.create(Job(id=str(uuid.uuid4()), owner="o", input={}, options={}))
    lifecycle.start(job.id)
    folder = tmp_path / "work"
    folder.mkdir()
    return job, Steps(job.id, 0.0, app.config), folder


@pytest.mark.parametrize("kind", ["matroska", "mpegts", "mpegts-pcm"])
def test_a_seekable_copy_holds_the_frames_at_the_inputs_times_when_the_sound_starts_first(
    app: Flask, tmp_path: Path, kind: str
) -> None:
    """A file's timeline starts at its earliest stream: the copy keeps the audio so that it starts
    where the input does (Matroska); where that moves the times (MPEG-TS: ffmpeg bases them on
    the streams it reads; or where Matroska cannot hold the sound), the video alone does. Either
    way every frame is at its time."""
    source = _recorded(tmp_path / f"recorded.{kind}", kind)
    with app.app_context():
        job, steps, folder = _coordinating(app, tmp_path)
        times = frame_and_keyframe_times(source, folder, steps)[0]
        assert times[0] > 0.3 or kind != "matroska", "the picture starts after the sound"
        assert segments.store_seekable_copy(job.id, source, probe(FFMPEG, source), times, folder, steps)
        copy = job_storage().fetch(seekable_key(job.id), tmp_path)
        assert frame_and_keyframe_times(copy, folder, steps)[0] == pytest.approx(times, abs=0.001)


@pytest.mark.parametrize("same", [True, False], ids=["same frames", "a frame short"])
def test_the_coordinator_stores_a_seekable_copy_where_the_inputs_seeks_read_much(
    app: Flask, tmp_path: Path, same: bool
) -> None:
    """A Matroska stream without cues: its video copied (not decoded) into a file with cues,
    every frame at its time, in which a seek reads little; stored for the helpers. A copy that
    does not hold the frames the plan was made from is not stored (helpers copy the input)."""
    source = seek_indexed(tmp_path / "source", indexed=False)
    with app.app_context():
        job, steps, folder = _coordinating(app, tmp_path)
        times, keyframes = frame_and_keyframe_times(source, folder, steps)
        assert not segments.seeks_cheaply(source, times, keyframes, steps)
        planned = times if same else times[:-1]
        kept = segments.store_seekable_copy(job.id, source, probe(FFMPEG, source), planned, folder, steps)
        assert job_storage().exists(seekable_key(job.id)) is same
        assert list(folder.iterdir()) == ([kept] if same else []), "the coordinator keeps its copy, only that"
        if kept is not None:
            copy = job_storage().fetch(seekable_key(job.id), tmp_path)
            assert copy.read_bytes() == kept.read_bytes()
            assert frame_and_keyframe_times(copy, folder, steps) == (times, keyframes)
            assert segments.seeks_cheaply(copy, times, keyframes, steps)
