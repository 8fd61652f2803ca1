"""A file is proven before it is delivered: a broken or short encode is caught, a good one passes."""

from __future__ import annotations

import os
import random
import subprocess
import uuid
from pathlib import Path

import pytest
from flask import Flask

from app.jobs import lifecycle
from app.jobs.models import Job
from app.media import Options, preset_command, probe
from app.media.command import Rate
from app.media.picture import video_filter
from app.media.probe import parse_probe
from app.media.segments import Segment, segment_command
from app.media.verify import SEAM_SECONDS, decode_command, problems, segment_problems
from app.work.failures import Interrupted, JobFailed
from app.work.steps import Steps
from app.work.verify import check_segment, verify
from tests.conftest import FFMPEG, frame_times, make_clip


@pytest.fixture()
def encoded(tmp_path: Path) -> tuple[Path, Path]:
    source = make_clip(tmp_path / "source.mp4", seconds=3)
    output = tmp_path / "output.mp4"
    subprocess.run(preset_command(FFMPEG, source, output, Options(), probe(FFMPEG, source)), check=True)
    return source, output


def _steps(app: Flask) -> Steps:
    job = lifecycle.create(Job(id=str(uuid.uuid4()), owner="o", input={}, options={}))
    lifecycle.start(job.id)
    return Steps(job.id, 0.0, app.config)


def test_a_good_encode_passes(app: Flask, encoded: tuple[Path, Path], tmp_path: Path) -> None:
    source, output = encoded
    with app.app_context():
        verify(source, probe(FFMPEG, source), output, tmp_path, _steps(app))


@pytest.mark.parametrize("damage", ["cut", "garbled", "short"])
def test_a_bad_encode_is_caught(app: Flask, encoded: tuple[Path, Path], tmp_path: Path, damage: str) -> None:
    source, output = encoded
    if damage == "cut":  # the file ends midway: the decoder meets the end of its data
        with output.open("r+b") as file:
            file.truncate(os.path.getsize(output) // 2)
    elif damage == "garbled":  # bytes amiss midway: the picture's data no longer parses
        data = bytearray(output.read_bytes())
        middle = len(data) // 2
        data[middle : middle + 2000] = bytes((byte * 7 + 13) % 256 for byte in data[middle : middle + 2000])
        output.write_bytes(bytes(data))
    else:  # a whole file, but a second short: frames were lost
        shorter = tmp_path / "shorter.mp4"
        subprocess.run([FFMPEG, "-loglevel", "error", "-y", "-i", str(output), "-t", "2", "-c", "copy",
                        str(shorter)], check=True)  # fmt: skip
        output = shorter
    with app.app_context(), pytest.raises(Interrupted) as caught:
        verify(source, probe(FFMPEG, source), output, tmp_path, _steps(app))
    assert caught.value.code == "output_invalid" and caught.value.retry
    assert "failed its check" in str(caught.value)


def test_frames_lost_to_an_input_damaged_midway_fail_the_job_at_once(app: Flask, tmp_path: Path) -> None:
    """The encode of a file garbled in its middle decodes whole but lacks the frames that could
    not be read: the input is to blame, and no other attempt would fare better."""
    source = make_clip(tmp_path / "source.mp4", seconds=3)
    data = bytearray(source.read_bytes())
    middle = len(data) // 2
    data[middle : middle + 20_000] = bytes((byte * 7 + 13) % 256 for byte in data[middle : middle + 20_000])
    source.write_bytes(bytes(data))
    output = tmp_path / "output.mp4"
    info = probe(FFMPEG, source)
    subprocess.run(preset_command(FFMPEG, source, output, Options(), info), capture_output=True, check=False)
    with app.app_context(), pytest.raises(JobFailed) as caught:
        verify(source, info, output, tmp_path, _steps(app))
    assert caught.value.code == "input_damaged"
    assert str(caught.value).startswith("the video is damaged: some of its frames cannot be decoded")


def test_missing_tracks_are_named() -> None:
    header = """Input #0, matroska,webm, from 'a.mkv':
  Duration: 00:00:10.00, start: 0.000000, bitrate: 100 kb/s
  Stream #0:0: Video: h264 (High), yuv420p(progressive), 640x360, 25 fps
  Stream #0:1(eng): Audio: aac, 48000 Hz, stereo, fltp
  Stream #0:2(fra): Audio: aac, 48000 Hz, stereo, fltp
  Stream #0:3(eng): Subtitle: subrip
"""
    source = parse_probe(header)
    output = parse_probe(header.replace("  Stream #0:2(fra): Audio: aac, 48000 Hz, stereo, fltp\n", ""))
    times = [k / 25 for k in range(250)]
    assert problems(source, times, output, times) == ["it has 1 audio tracks where the video has 2"]
    assert problems(source, times, source, times) == []


def test_a_joined_file_is_decoded_again_only_across_its_seams() -> None:
    """Its segments each decoded whole where they were encoded; its sound, encoded once, whole."""
    cmd = decode_command("ffmpeg", "joined.mp4", seams=[30.0, 60.0])
    assert [cmd[i + 1] for i, arg in enumerate(cmd) if arg == "-ss"] == [f"{30 - SEAM_SECONDS:.3f}", "59.000"]
    assert [cmd[i + 1] for i, arg in enumerate(cmd) if arg == "-map"] == ["0:a?", "1:v:0", "2:v:0"]
    assert "-xerror" in cmd
    opened = [index for index, arg in enumerate(cmd) if arg == "-i"]
    unfiltered = [index for index, arg in enumerate(cmd) if arg == "-skip_loop_filter:v"]
    assert len(unfiltered) == len(opened) == 3 and all(  # each input's decoder, before its -i
        before < at for before, at in zip(unfiltered, opened, strict=True)
    )


def test_a_break_at_a_seam_is_caught(app: Flask, tmp_path: Path) -> None:
    source = make_clip(tmp_path / "source.mp4", seconds=6, audio=False)  # the picture's decode alone
    output = tmp_path / "output.mp4"
    subprocess.run(preset_command(FFMPEG, source, output, Options(), probe(FFMPEG, source)), check=True)
    info = probe(FFMPEG, source)
    with app.app_context():
        verify(source, info, output, tmp_path, _steps(app), seams=[2.0, 4.0])
        with output.open("r+b") as file:  # the data ends a little after the second seam
            file.truncate(int(os.path.getsize(output) * 0.75))
        with pytest.raises(Interrupted) as caught:
            verify(source, info, output, tmp_path, _steps(app), seams=[2.0, 4.0])
    assert "does not decode to its end" in str(caught.value)


def test_a_segment_that_does_not_decode_is_encoded_again(
    app: Flask, encoded: tuple[Path, Path], tmp_path: Path
) -> None:
    source, output = encoded
    segment = Segment(1, 750, 75, 30.0, 3.0, 29.98)
    with app.app_context():
        check_segment(output, segment, source, tmp_path, _steps(app))
        with output.open("r+b") as file:
            file.truncate(os.path.getsize(output) // 2)
        with pytest.raises(Interrupted) as caught:
            check_segment(output, segment, source, tmp_path, _steps(app))
    assert caught.value.code == "output_invalid" and caught.value.retry
    assert "the part 0:30-0:33 failed its check" in str(caught.value)


def _damaged(clip: Path, share: float, length: int) -> Path:
    """``clip`` with ``length`` bytes of noise ``share`` of the way through its media data."""
    data = bytearray(clip.read_bytes())
    media = data.find(b"mdat")
    at = media + int((len(data) - media) * share)
    data[at : at + length] = random.Random(1).randbytes(length)
    damaged = clip.with_name("damaged-" + clip.name)
    damaged.write_bytes(bytes(data))
    return damaged


def test_a_segment_that_reads_into_the_next_one_is_caught_and_its_damaged_input_named(
    app: Flask, tmp_path: Path
) -> None:
    """An encode stops after its segment's frame count: where the decode of a damaged input lost
    frames, it made them up from the next segment's first ones, and the joined file held as many
    frames as the input, some twice and some never, and passed its check."""
    clip = make_clip(tmp_path / "clip.mp4", seconds=8, size="160x120", audio=False)
    damaged = _damaged(clip, 0.2, 6000)  # in the first half: the decode loses three frames there
    first, second = Segment(0, 0, 100, 0.0, 4.0, 0.0), Segment(1, 100, 100, 4.0, 4.0, 3.98)
    vf = video_filter(probe(FFMPEG, clip), None)
    with app.app_context():
        for segment, source in ((first, clip), (second, damaged)):  # whole, or past the damage: as planned
            path = tmp_path / f"segment-{segment.number}-{source.stem}.mp4"
            subprocess.run(
                segment_command(FFMPEG, source, path, segment, vf, "h264", Rate(crf=30)), check=True
            )
            check_segment(path, segment, source, tmp_path, _steps(app))
        path = tmp_path / "segment-0-damaged.mp4"
        subprocess.run(segment_command(FFMPEG, damaged, path, first, vf, "h264", Rate(crf=30)), check=True)
        assert len(frame_times(path)) == first.frames, "its frame count, made up from the next segment's"
        with pytest.raises(JobFailed) as caught:
            check_segment(path, first, damaged, tmp_path, _steps(app))
    assert caught.value.code == "input_damaged"
    assert str(caught.value).startswith(
        "the video is damaged in 0:00-0:04: some of its frames cannot be decoded"
    )


def test_a_segment_holding_the_next_ones_frames_is_told_apart_from_one_missing_a_duplicate() -> None:
    times = [index / 25 for index in range(100)]  # 4 s at 25 fps
    assert segment_problems(times, 100, 4.0) == []
    assert segment_problems([*times[:50], *times[51:], 4.0], 100, 4.0) == []  # one frame's slack
    assert segment_problems([*times[:50], *times[53:], 4.0, 4.04, 4.08], 100, 4.0) == [
        "it holds 3 frames from after its end (4.00 s)"
    ]
    assert segment_problems(times[:97], 100, 4.0) == [
        "it holds 97 frames where its part of the video has 100"
    ]
