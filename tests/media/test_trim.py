"""Trim: the checks at submit, and ffmpeg reading only the part kept (real ffmpeg)."""

import subprocess
from pathlib import Path

import pytest

from app.media import Options, probe
from app.media.command import preset_command
from app.media.trim import Trim, range_problems, trim_of, trim_problems
from tests.conftest import FFMPEG, frame_times, make_clip


def test_a_trim_without_times_is_the_whole_video() -> None:
    assert trim_of(None, None, 10.0) is None
    assert trim_problems(None, None) == [] and range_problems(None, None, None) == []


def test_one_end_given_keeps_the_rest() -> None:
    assert trim_of(2.0, None, 10.0) == Trim(2.0, 10.0, 10.0)
    assert trim_of(None, 4.0, 10.0) == Trim(0.0, 4.0, 10.0)
    assert Trim(2.0, 4.0, 10.0).share == pytest.approx(0.2)


@pytest.mark.parametrize(
    ("start", "end", "field", "words"),
    [
        (10.0, None, "start_seconds", "before the end"),
        (None, 10.5, "end_seconds", "at most the length"),
        (3.0, 3.0, "end_seconds", "empty"),
        (-1.0, None, "start_seconds", "0 or more"),
    ],
)
def test_a_trim_past_the_video_or_empty_is_named(start: float, end: float, field: str, words: str) -> None:
    ((named, message),) = range_problems(start, end, 10.0)
    assert named == field and words in message


def test_a_video_whose_length_cannot_be_read_cannot_be_trimmed() -> None:
    assert range_problems(1.0, None, None)[0][0] == "start_seconds"


def test_a_trim_keeps_every_frame_on_screen_within_it() -> None:
    times = [round(n * 0.04, 2) for n in range(100)]  # 25 fps, 4 s
    assert Trim(1.04, 2.0).kept_frames(times) == times[26:50]  # a frame time as printed
    assert Trim(1.5, 2.0).kept_frames(times)[0] == 1.48, "the frame showing at 1.5 s"
    assert Trim(3.99, 5.0).kept_frames(times) == [3.96], "the last frame lasts to the end"


def test_a_copy_in_the_inputs_place_is_read_from_the_same_timestamp() -> None:
    """A seekable copy's timeline may start later than the input's (where its picture does):
    it is read at the trim's timestamp on the input's, not from its own start."""
    assert Trim(1.5, 4.0).input_options() == ["-ss", "1.500000", "-t", "2.500000"]
    copy = Trim(1.5, 4.0).input_options(origin=1.4)
    assert copy == ["-seek_timestamp", "1", "-ss", "2.900000", "-t", "2.500000"]


@pytest.mark.slow
def test_an_encode_of_a_trim_holds_exactly_its_frames(tmp_path: Path) -> None:
    """4 s to 7.5 s of a 10 s clip with one keyframe at 0: the frames from 4.00 to 7.48, which is
    what the trim keeps of the input's frames."""
    clip = make_clip(tmp_path / "in.mp4", seconds=10, extra=("-g", "250"))
    whole = probe(FFMPEG, clip)
    info = whole.trimmed(trim_of(4.0, 7.5, whole.duration_seconds))
    out = tmp_path / "out.mp4"
    subprocess.run(
        preset_command(FFMPEG, clip, out, Options(preset="small"), info), check=True, capture_output=True
    )
    kept = info.trim.kept_frames(frame_times(clip))
    assert len(frame_times(out)) == len(kept) == round(3.5 * 25)
    assert probe(FFMPEG, out).duration_seconds == pytest.approx(3.5, abs=0.1)


def test_a_start_between_two_frames_moves_back_to_the_one_showing() -> None:
    times = [0.0, 0.04, 0.08, 0.12]
    assert Trim(0.05, 0.12).from_showing_frame(times).start == 0.04
    assert Trim(0.08, 0.12).from_showing_frame(times).start == 0.08  # on a frame: kept
    assert Trim(0.08 + 1e-9, 0.12).from_showing_frame(times).start == 0.08 + 1e-9  # a printed time's slack
    assert Trim(0.01, 0.12).from_showing_frame([0.02, 0.06]).start == 0.01  # before any picture
    moved = Trim(0.05, 0.12, total=1.0).from_showing_frame(times)
    assert (moved.end, moved.total) == (0.12, 1.0)
    assert moved.kept_frames(times) == Trim(0.05, 0.12).kept_frames(times) == [0.04, 0.08]


def test_a_start_after_the_last_frame_has_lasted_is_past_the_picture() -> None:
    times = [0.0, 0.04, 0.08]
    assert Trim(0.10, 1.0).picture_end(times) is None  # the last frame is still showing
    assert Trim(0.12, 1.0).picture_end(times) == pytest.approx(0.12)
    assert Trim(0.5, 1.0).picture_end(times) == pytest.approx(0.12)
    assert Trim(0.5, 1.0).picture_end([0.0]) is None  # one frame: no spacing to go by
