"""Loudness normalization on real sound: a quiet and a loud clip both land at -16 LUFS."""

from __future__ import annotations

import re
import subprocess
from itertools import pairwise
from pathlib import Path

import pytest

from app.media import Options, loudness, preset_command, probe
from tests.conftest import FFMPEG

_PEAK = re.compile(r"True peak:\s+Peak:\s+(-?[\d.]+|-inf) dBFS")


def _run(cmd: list[str]) -> str:
    done = subprocess.run(cmd, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stderr


@pytest.mark.parametrize(("name", "volume"), [("quiet", "0.03"), ("loud", "0.9")])
def test_every_track_lands_at_the_target(tmp_path: Path, name: str, volume: str) -> None:
    source = tmp_path / f"{name}.mp4"
    speech_like = f"sine=frequency=220:duration=6,volume={volume},tremolo=f=3:d=0.8"
    inputs = [
        "-f",
        "lavfi",
        "-i",
        "testsrc2=size=160x120:rate=10:duration=6",
        "-f",
        "lavfi",
        "-i",
        speech_like,
    ]
    codecs = ["-c:v", "libx264", "-preset", "ultrafast", "-c:a", "aac", "-b:a", "192k"]
    _run([FFMPEG, "-hide_banner", "-y", *inputs, *codecs, str(source)])
    before = loudness.read_integrated(_run(loudness.result_command(FFMPEG, source)))
    measured = loudness.read_measurement(_run(loudness.measure_command(FFMPEG, source, 0)))
    output = tmp_path / "output.mp4"
    filters = (loudness.normalize_filter(measured),)
    _run(
        preset_command(
            FFMPEG, source, output, Options(normalize_audio=True), probe(FFMPEG, source), None, filters
        )
    )
    summary = _run(loudness.result_command(FFMPEG, output))
    after = loudness.read_integrated(summary)
    assert abs(before - loudness.TARGET_LUFS) > 3, "the clip must start away from the target"
    assert abs(after - loudness.TARGET_LUFS) <= 1.0, (before, after)
    peak = _PEAK.findall(summary)
    assert peak and float(peak[-1]) <= loudness.TRUE_PEAK_DBTP + 0.5  # AAC may overshoot a little


@pytest.mark.parametrize("container", ["matroska", "mpegts"])
def test_evened_out_sound_stays_on_time(tmp_path: Path, container: str) -> None:
    """AAC kept with its priming (a first packet before 0, as Matroska and MPEG-TS keep it):
    every packet follows the one before, none of the sound pushed late."""
    source = tmp_path / f"tone.{container}"
    inputs = ["-f", "lavfi", "-i", "testsrc2=size=160x120:rate=10:duration=3"]
    inputs += ["-f", "lavfi", "-i", "sine=frequency=220:duration=3,volume=0.05"]
    codecs = ["-c:v", "libx264", "-preset", "ultrafast", "-c:a", "aac", "-f", container]
    _run([FFMPEG, "-hide_banner", "-y", *inputs, *codecs, str(source)])
    measured = loudness.read_measurement(_run(loudness.measure_command(FFMPEG, source, 0)))
    output = tmp_path / "output.mp4"
    filters = (loudness.normalize_filter(measured),)
    info = probe(FFMPEG, source)
    _run(preset_command(FFMPEG, source, output, Options(normalize_audio=True), info, None, filters))
    listing = subprocess.run(
        [FFMPEG, "-loglevel", "error", "-i", str(output), "-map", "0:a", "-c", "copy", "-f", "framecrc", "-"],
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    times = [int(line.split(",")[1]) for line in listing.splitlines() if line and not line.startswith("#")]
    assert {later - earlier for earlier, later in pairwise(times)} == {1024}  # AAC's frame
    assert abs((probe(FFMPEG, output).duration_seconds or 0) - (info.duration_seconds or 0)) <= 0.05


def test_a_silent_track_is_left_silent(tmp_path: Path) -> None:
    """Silence measures -inf, a value loudnorm refuses (the encode failed): it is left alone."""
    source = tmp_path / "silent.mp4"
    inputs = ["-f", "lavfi", "-i", "testsrc2=size=160x120:rate=10:duration=2"]
    inputs += ["-f", "lavfi", "-i", "anullsrc=channel_layout=stereo:sample_rate=48000:duration=2"]
    _run([FFMPEG, "-hide_banner", "-y", *inputs, "-c:v", "libx264", "-preset", "ultrafast", "-c:a", "aac",
          str(source)])  # fmt: skip
    measured = loudness.read_measurement(_run(loudness.measure_command(FFMPEG, source, 0)))
    assert measured.integrated == "-inf"
    output = tmp_path / "output.mp4"
    filters = (loudness.normalize_filter(measured),)
    _run(
        preset_command(
            FFMPEG, source, output, Options(normalize_audio=True), probe(FFMPEG, source), None, filters
        )
    )
    assert probe(FFMPEG, output).audio_channels == (2,)
    assert loudness.read_integrated(_run(loudness.result_command(FFMPEG, output))) <= -70
