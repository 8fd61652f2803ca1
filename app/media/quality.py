"""Measure how a video looks next to its source: VMAF and SSIM on sampled spans.

The source is decoded through the same filter chain the encode used (upright, tone-mapped,
scaled to the delivered size), so the score is the loss the compression caused, not the
change a person asked for. Scores come from a few short spans spread through the video,
decoded by seeking both files to the same moments: a small share of the frames, the same
answer as every frame on video that does not change its character from span to span.
"""

from __future__ import annotations

import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

from app.media.fence import Limits, input_args

MEASURE_SPANS = 4  # spans scored in a delivered file ...
MEASURE_SPAN_SECONDS = 1.5  # ... each this long; a video up to their sum is scored whole
VMAF_MODEL = "version=vmaf_v0.6.1"  # libvmaf's default model, for 1080p viewed on a screen
_VMAF = re.compile(r"VMAF score: ([\d.]+)")
_SSIM = re.compile(r"SSIM .*All:([\d.]+)")


class MeasureError(Exception):
    """ffmpeg could not score the video; the message says what it said."""


@dataclass(frozen=True)
class Quality:
    """How close a video looks to its source: VMAF 0-100, SSIM 0-1 (1: identical)."""

    vmaf: float
    ssim: float

    def as_dict(self) -> dict[str, float]:
        return {"vmaf": round(self.vmaf, 2), "ssim": round(self.ssim, 4)}


IDENTICAL = Quality(vmaf=100.0, ssim=1.0)  # a file delivered unchanged


def sample_spans(duration: float, count: int, seconds: float) -> list[tuple[float, float]]:
    """``count`` spans of ``seconds`` centred at evenly spread moments; the whole video if short."""
    if duration <= count * seconds:
        return [(0.0, duration)]
    spans = []
    for index in range(count):
        middle = duration * (2 * index + 1) / (2 * count)
        start = min(max(middle - seconds / 2, 0.0), duration - seconds)
        spans.append((round(start, 3), seconds))
    return spans


def span_inputs(path: str | Path, spans: list[tuple[float, float]]) -> list[str]:
    """The same file opened once per span, each seeked to its start (frame-exact when decoded)."""
    args: list[str] = []
    for start, length in spans:
        args += ["-ss", f"{start:.3f}", "-t", f"{length:.3f}", *input_args(path)]
    return args


def joined(first_input: int, count: int, vf: str | None, label: str) -> str:
    """A filtergraph part: inputs ``first_input``.. each filtered by ``vf``, then concatenated."""
    parts = []
    for offset in range(count):
        chain = f"{vf}," if vf else ""
        parts.append(f"[{first_input + offset}:v]{chain}setpts=PTS-STARTPTS[{label}{offset}]")
    pads = "".join(f"[{label}{offset}]" for offset in range(count))
    return ";".join(parts) + f";{pads}concat=n={count}:v=1:a=0[{label}]"


def measure(
    ffmpeg: str,
    distorted: Path,
    reference: Path,
    reference_vf: str | None,
    spans: list[tuple[float, float]],
    limits: Limits | None = None,
    timeout: float | None = None,
) -> Quality:
    """VMAF and SSIM of ``distorted`` against ``reference`` (through ``reference_vf``) on ``spans``."""
    count = len(spans)
    graph = ";".join(
        [
            joined(0, count, "format=yuv420p", "d"),
            joined(count, count, reference_vf, "r"),
            "[d]split[d1][d2];[r]split[r1][r2]",
            f"[d1][r1]libvmaf=model={VMAF_MODEL}:n_threads=2:ts_sync_mode=nearest[scored]",
            "[d2][r2]ssim=ts_sync_mode=nearest",
        ]
    )
    cmd = [ffmpeg, "-hide_banner", "-nostdin", "-nostats", "-loglevel", "info"]
    cmd += [*span_inputs(distorted, spans), *span_inputs(reference, spans)]
    cmd += ["-filter_complex", graph, "-map", "[scored]", "-f", "null", "-"]
    try:
        done = subprocess.run(
            cmd,
            capture_output=True,
            timeout=timeout,
            check=False,
            preexec_fn=limits.preexec() if limits else None,
        )
    except subprocess.TimeoutExpired as exc:
        raise MeasureError("measuring the quality took too long") from exc
    text = done.stderr.decode("utf-8", "replace")
    vmaf, ssim = _VMAF.search(text), _SSIM.search(text)
    if done.returncode != 0 or vmaf is None or ssim is None:
        raise MeasureError(text.strip().splitlines()[-1] if text.strip() else f"exit {done.returncode}")
    return Quality(vmaf=float(vmaf.group(1)), ssim=float(ssim.group(1)))
