"""The seekable copy of an input's video: made where ffmpeg cannot seek in the input exactly or
cheaply, used only when it holds the input's frames at their times."""

from __future__ import annotations

import re
import subprocess
import uuid
from dataclasses import replace
from pathlib import Path

import pytest
from flask import Flask

from app.jobs import lifecycle
from app.jobs.models import Job
from app.media import MediaInfo, probe
from app.work import seekable
from app.work.steps import Steps
from app.work.verify import frame_and_keyframe_times
from tests.conftest import FFMPEG, make_clip
from tests.media.crafted import seek_indexed


def _attempt(app: Flask, tmp_path: Path) -> tuple[Job, Steps, Path]:
    """A running job, its attempt's steps and scratch folder (in an app context)."""
    job = lifecycle.create(Job(id=str(uuid.uuid4()), owner="o", input={}, options={}))
    lifecycle.start(job.id)
    folder = tmp_path / "work"
    folder.mkdir()
    return job, Steps(job.id, 0.0, app.config), folder


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
        cheap = seekable.seeks_cheaply(source, times, times[::50], steps)
    assert cheap is not piped


def _recorded(path: Path, kind: str) -> Path:
    """4 s of noisy 320x240 (a keyframe every second, B-frames) with sound starting half a second
    before the picture, in a container without a seek index: Matroska written to a pipe, MPEG-TS
    (its sound AAC, or Blu-ray's PCM, which Matroska cannot hold), or AVI (decoding times only:
    its B-frames have no presentation time)."""
    picture = "testsrc2=size=320x240:rate=25:duration=4,noise=alls=20:allf=t"
    inputs = ["-itsoffset", "0.5", "-f", "lavfi", "-i", picture, "-f", "lavfi", "-i", "sine=duration=4.5"]
    sound = ["-c:a", "pcm_bluray"] if kind == "mpegts-pcm" else ["-c:a", "aac"]
    codec = ["-c:v", "libx264", "-preset", "ultrafast", "-crf", "16", "-g", "25", "-bf", "2", *sound]
    cmd = [
        FFMPEG,
        "-v",
        "error",
        *inputs,
        *codec,
        "-f",
        {"matroska": "matroska", "avi": "avi"}.get(kind, "mpegts"),
    ]
    if kind == "avi":  # its index is written at the end: a file, not a pipe
        subprocess.run([*cmd, str(path)], check=True)
        return path
    with path.open("wb") as out:
        subprocess.run([*cmd, "pipe:1"], stdout=out, check=True)
    return path


@pytest.mark.parametrize("kind", ["matroska", "mpegts", "mpegts-pcm", "avi"])
def test_a_seekable_copy_holds_the_frames_at_the_inputs_times_when_the_sound_starts_first(
    app: Flask, tmp_path: Path, kind: str
) -> None:
    """A file's timeline starts at its earliest stream: the copy's starts where the input's does,
    so that every frame is where it is on the input's timeline as the encode and a trim read it,
    with its sound (an MPEG-TS's picture listed alone is timed from its first frame instead),
    even where that stream is one the copy cannot hold (Blu-ray's PCM in MPEG-TS, which ffmpeg
    reads as data). AVI's presentation times are generated from its decoding times."""
    source = _recorded(tmp_path / f"recorded.{kind}", kind)
    with app.app_context():
        job, steps, folder = _attempt(app, tmp_path)
        times = frame_and_keyframe_times(source, folder, steps)[0]
        assert times[0] > 0.3 or kind != "matroska", "the picture starts after the sound"
        info = probe(FFMPEG, source)
        copy = seekable.seekable_copy(job.id, source, info, times, folder, steps, cheaply=False)
        assert copy is not None
        copied = frame_and_keyframe_times(copy, folder, steps)[0]
    picture = _picture_start(source)  # AVI's header says none: its listing is timed from its start
    first = times[0] if picture is None else picture - info.timeline_start
    assert first > 0.3, "the picture starts after the sound"
    assert copied == pytest.approx([time - times[0] + first for time in times], abs=0.001)


def _picture_start(path: Path) -> float | None:
    """Where the picture's first timestamp is, as ffmpeg's header says (None: it does not say)."""
    header = subprocess.run([FFMPEG, "-hide_banner", "-i", str(path)], capture_output=True, text=True).stderr
    found = re.search(r"Stream #0:\d+.*: Video: .*, start (\d+\.\d+)", header)
    return float(found.group(1)) if found else None


@pytest.mark.parametrize("same", [True, False], ids=["same frames", "a frame short"])
def test_a_copy_stands_in_only_for_the_frames_it_was_made_for(app: Flask, tmp_path: Path, same: bool) -> None:
    """A Matroska stream without cues: its video copied (not decoded) into a file with cues,
    every frame at its time, in which a seek reads little. A copy that does not hold the frames
    the plan was made from is not used (and not left behind)."""
    source = seek_indexed(tmp_path / "source", indexed=False)
    with app.app_context():
        job, steps, folder = _attempt(app, tmp_path)
        times, keyframes = frame_and_keyframe_times(source, folder, steps)
        assert not seekable.seeks_cheaply(source, times, keyframes, steps)
        planned = times if same else times[:-1]
        copy = seekable.seekable_copy(job.id, source, probe(FFMPEG, source), planned, folder, steps)
        assert list(folder.iterdir()) == ([copy] if same else [])
        if copy is not None:
            assert frame_and_keyframe_times(copy, folder, steps) == (times, keyframes)
            assert seekable.seeks_cheaply(copy, times, keyframes, steps)


@pytest.mark.parametrize("kind", ["mp4", "y4m", "mpegts", "avi"])
def test_only_an_input_ffmpeg_seeks_in_by_searching_is_copied(app: Flask, tmp_path: Path, kind: str) -> None:
    """An mp4 is read where it is, and so is raw video (every frame a keyframe: a seek cannot
    start mid-GOP); an MPEG-TS or an AVI with B-frames, where a seek may start decoding mid-GOP,
    gets a copy every seeking step reads."""
    source = tmp_path / f"in.{kind}"
    if kind == "mp4":
        make_clip(source, seconds=2.0)
    elif kind == "y4m":
        raw = [FFMPEG, "-v", "error", "-f", "lavfi", "-i", "testsrc2=size=160x120:rate=25:duration=1"]
        subprocess.run([*raw, "-pix_fmt", "yuv420p", str(source)], check=True)
    else:
        _recorded(source, kind)
    with app.app_context():
        job, steps, folder = _attempt(app, tmp_path)
        copy = seekable.frames_to_seek_in(job.id, source, probe(FFMPEG, source), folder, steps)
        assert (copy is None) is (kind in ("mp4", "y4m"))
        assert list(folder.iterdir()) == ([] if copy is None else [copy]), "no listing left behind"


def test_an_input_of_keyframes_only_seeks_exactly_whatever_its_container() -> None:
    """What the coordinator weighs before it lets helpers read the input in place: a container
    with an index, or frames that are all keyframes (none to start mid-GOP from)."""
    ts = MediaInfo(duration_seconds=2.0, width=320, height=240, video_codec="h264", audio_codec=None,
                   format_name="mpegts")  # fmt: skip
    mp4 = replace(ts, format_name="mov,mp4,m4a,3gp,3g2,mj2")
    times = [frame / 25 for frame in range(50)]
    assert seekable.seeks_exactly(mp4) and not seekable.seeks_exactly(ts)
    assert seekable.seeks_exactly(ts, times, times)
    assert not seekable.seeks_exactly(ts, times, times[::25])
