"""Where a file's picture starts against its sound: read as an encode reads them, and kept."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from app.media.sync import first_frames_command, picture_delay, read_first_time
from tests.conftest import FFMPEG
from tests.media.crafted import FFMPEG_TIMEOUT_SECONDS


def _late(path: Path, picture_late: float, sound_late: float) -> Path:
    """2 s of 320x240 with sound, the picture or the sound starting that much later."""
    picture = [
        "-itsoffset",
        f"{picture_late:g}",
        "-f",
        "lavfi",
        "-i",
        "testsrc2=size=320x240:rate=25:duration=2",
    ]
    sound = ["-itsoffset", f"{sound_late:g}", "-f", "lavfi", "-i", "sine=duration=2"]
    codec = ["-c:v", "libx264", "-preset", "ultrafast", "-bf", "2", "-c:a", "aac"]
    cmd = [FFMPEG, "-nostdin", "-v", "error", *picture, *sound, *codec, str(path)]
    subprocess.run(cmd, check=True, timeout=FFMPEG_TIMEOUT_SECONDS)
    return path


@pytest.mark.parametrize(
    ("picture_late", "sound_late", "delay"),
    [(0.12, 0.0, 0.12), (0.0, 0.3, -0.3), (0.0, 0.0, 0.0)],
    ids=["the picture late", "the sound late", "together"],
)
def test_the_first_picture_and_sound_are_read_each_to_its_own_first_frame(
    tmp_path: Path, picture_late: float, sound_late: float, delay: float
) -> None:
    """Each stops at its own first frame: a sound that starts after the picture is still read
    (read together, the run stopped at the first picture, before any sound)."""
    clip = _late(tmp_path / "clip.mp4", picture_late, sound_late)
    picture, sound = tmp_path / "picture.crc", tmp_path / "sound.crc"
    subprocess.run(
        first_frames_command(FFMPEG, clip, picture, sound), check=True, timeout=FFMPEG_TIMEOUT_SECONDS
    )
    first_picture, first_sound = read_first_time(picture.read_text()), read_first_time(sound.read_text())
    assert first_picture is not None and first_sound is not None
    assert picture_delay(first_picture, first_sound) == pytest.approx(delay, abs=0.025)


@pytest.mark.parametrize(
    ("picture", "sound", "start", "delay"),
    [
        (0.12, 0.0, 0.0, 0.12),  # the whole video: as it was
        (0.12, 0.0, 2.5, 0.0),  # a trim after both started: the frame on screen and the sound, at once
        (0.0, 0.3, 0.1, -0.2),  # a trim before the sound starts: the sound still comes later
        (0.5, 0.0, 0.2, 0.3),  # ... or the picture
    ],
)
def test_a_trim_cuts_what_precedes_its_start_from_both(
    picture: float, sound: float, start: float, delay: float
) -> None:
    assert picture_delay(picture, sound, start) == pytest.approx(delay)


def test_a_sound_that_starts_after_the_trim_is_silence_from_the_trims_start() -> None:
    """Its silent track starts with the part (command.SPAN_FILLED): delayed by 2 s, a 1 s part
    lasted 3 s."""
    assert picture_delay(0.0, 2.5, start=0.5, end=1.5) == 0.0
    assert picture_delay(0.0, 1.0, start=0.5, end=1.5) == pytest.approx(-0.5)  # within it: as before
