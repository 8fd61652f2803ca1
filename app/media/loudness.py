"""Loudness normalization (EBU R128): every audio track to -16 LUFS, true peak at most -1.5 dBTP.

Two passes, as ffmpeg's ``loudnorm`` is meant to be used: the first measures a track, the
second applies a linear gain computed from that measurement (``linear=true``: the sound's
dynamics are kept, only its level moves; the filter falls back to dynamic mode only where a
linear gain would push the peaks past the ceiling). ``ebur128`` measures the result.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from pathlib import Path

from app.media.command import step_head
from app.media.fence import input_args
from app.media.trim import Trim

TARGET_LUFS = -16.0  # integrated loudness: what streaming services and podcasts aim at
TRUE_PEAK_DBTP = -1.5  # room for a lossy encoder's overshoot
LOUDNESS_RANGE_LU = 11.0
SAMPLE_RATE = 48_000  # loudnorm works at 192 kHz inside: back to a rate every player takes
_TARGETS = f"I={TARGET_LUFS:g}:TP={TRUE_PEAK_DBTP:g}:LRA={LOUDNESS_RANGE_LU:g}"
_JSON = re.compile(r"\{[^{}]*\"input_i\"[^{}]*\}", re.DOTALL)
_INTEGRATED = re.compile(r"Integrated loudness:\s+I:\s+(-?[\d.]+) LUFS")


class LoudnessError(Exception):
    """ffmpeg printed no measurement; the message says what it printed."""


@dataclass(frozen=True)
class Measured:
    """One track's first-pass measurement, as ``loudnorm`` prints it."""

    integrated: str
    true_peak: str
    loudness_range: str
    threshold: str
    offset: str


def measure_command(ffmpeg: str, source: str | Path, track: int, trim: Trim | None = None) -> list[str]:
    """The first pass over audio track ``track`` (of the part ``trim`` keeps): its stderr ends
    with the measurement."""
    cmd = [*step_head(ffmpeg, loglevel="info"), *input_args(source, trim), "-map", f"0:a:{track}", "-vn"]
    return [*cmd, "-af", f"loudnorm={_TARGETS}:print_format=json", "-f", "null", "-"]


def read_measurement(log: str) -> Measured:
    found = _JSON.findall(log)
    if not found:
        raise LoudnessError(log.strip().splitlines()[-1] if log.strip() else "ffmpeg printed no measurement")
    values = json.loads(found[-1])
    return Measured(
        values["input_i"],
        values["input_tp"],
        values["input_lra"],
        values["input_thresh"],
        values["target_offset"],
    )


def normalize_filter(measured: Measured) -> str:
    """The second pass's filter for one track, from its first pass: none (``anull``) for a
    track of silence, or with no sound in the part kept, which measures ``-inf`` (loudnorm
    refuses the value, and the job failed; there is nothing to bring up)."""
    if not math.isfinite(float(measured.integrated)):
        return "anull"
    given = (
        f"measured_I={measured.integrated}:measured_TP={measured.true_peak}:"
        f"measured_LRA={measured.loudness_range}:measured_thresh={measured.threshold}:offset={measured.offset}"
    )
    # Each sample timed from the first: loudnorm (at 192 kHz) left a 92 ms gap in sound whose
    # first packet starts before 0 (AAC's priming, as Matroska and MPEG-TS keep it), which the
    # muxer kept as a pause, the rest of the sound late.
    return f"loudnorm={_TARGETS}:{given}:linear=true,aresample={SAMPLE_RATE},asetpts=N/SR/TB+STARTPTS"


def result_command(ffmpeg: str, path: str | Path) -> list[str]:
    """Measure the first audio track of a delivered file (its stderr ends with ``ebur128``'s summary)."""
    cmd = [*step_head(ffmpeg, loglevel="info"), *input_args(path), "-map", "0:a:0", "-vn"]
    return [*cmd, "-af", "ebur128=peak=true", "-f", "null", "-"]


def read_integrated(log: str) -> float:
    found = _INTEGRATED.findall(log)
    if not found:
        raise LoudnessError("ffmpeg printed no loudness summary")
    return float(found[-1])
