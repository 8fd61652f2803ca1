"""Measure how a video looks next to its source: VMAF and SSIM on sampled spans.

The source is decoded through the same filter chain the encode used (upright, tone-mapped,
scaled to the delivered size), so the score is the loss the compression caused, not the
change a person asked for. A video that keeps its HDR is scored as it is delivered, both sides
10-bit with the input's transfer (neither tone-mapped): like with like. Scores come from a few
short spans spread through the video, decoded by seeking both files to the same moments (an
encode under SPAN_KEYFRAMES_MIN_SECONDS is decoded from its start and the spans cut from it): a
small share of the frames, the same answer as every frame on video that does not change its
character from span to span.
"""

from __future__ import annotations

import math
import re
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from app.media.command import step_head
from app.media.fence import input_args
from app.media.picture import SDR_PIXELS
from app.media.runner import summarize_error

MEASURE_SPANS = 4  # spans scored in a delivered file ...
MEASURE_SPAN_SECONDS = 1.0  # ... each this long; a video up to their sum is scored whole
VMAF_MODEL = "version=vmaf_v0.6.1"  # libvmaf's default model, for 1080p viewed on a screen
VMAF_SUBSAMPLE = 3  # VMAF and SSIM score every this many frames of the spans (the same frames)
# From this length an encode gets a keyframe where each scored span starts (``command.keyframes_at``),
# so that seeking it there decodes nothing before the span; a shorter one is decoded whole to be
# scored (``measure_command``'s ``distorted_whole``): four more keyframes would cost it more bytes
# than that decode costs time (bench.quality's 5 s animation came out 36 % larger with them, and
# was kept as it was at ``balanced``; the decode of 20 s is about 6 % of its encode at 1080p).
SPAN_KEYFRAMES_MIN_SECONDS = 20.0
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


def at_keyframes(
    spans: list[tuple[float, float]], keyframes: Sequence[float], floor: float = 0.0
) -> list[tuple[float, float]]:
    """``spans`` each moved back to the keyframe before it (a seek decodes from there anyway):
    not before ``floor``, nor before the end of the span before."""
    moved: list[tuple[float, float]] = []
    for start, length in spans:
        earliest = max(floor, moved[-1][0] + moved[-1][1] if moved else floor)
        before = [time for time in keyframes if earliest <= time <= start]
        moved.append((_ms_up(max(before, default=start)), length))
    return moved


def _lead(time: float, keyframes: Sequence[float]) -> float:
    """Seconds decoded before ``time`` by a seek to it (0 where the keyframes are not known)."""
    before = [keyframe for keyframe in keyframes if keyframe <= time]
    return time - max(before) if before else (time if keyframes else 0.0)


def _ms_up(time: float) -> float:
    """``time`` to the millisecond, never before it: a seek to a keyframe's time must not fall
    just short of it (the demuxer would start from the keyframe before)."""
    return math.ceil(round(time * 1000, 6)) / 1000


def measure_spans(duration: float, keyframes: Sequence[float] = ()) -> list[tuple[float, float]]:
    """Where a delivered file (or segment) of ``duration`` is scored: MEASURE_SPANS spans, one
    in each equal stretch of it, each where a seek in the input (``keyframes``: its keyframes
    on the file's timeline) decodes least: the keyframe nearest the stretch's middle when the
    stretch holds one.

    An encode of SPAN_KEYFRAMES_MIN_SECONDS and more is given keyframes of its own at the spans'
    starts (``command.keyframes_at``), so seeking it decodes nothing before them either (a
    shorter one is decoded from its start: ``measure_command``'s ``distorted_whole``). The
    spans depend on the input alone: encodes of one video (a short video's retunes) are scored
    on the same frames."""
    spans = sample_spans(duration, MEASURE_SPANS, MEASURE_SPAN_SECONDS)
    if len(spans) < MEASURE_SPANS:
        return spans  # short: scored whole
    stretch = duration / MEASURE_SPANS
    placed = []
    for index, (middle, length) in enumerate(spans):
        low, high = index * stretch, (index + 1) * stretch - length
        candidates = [middle, low, *(time for time in keyframes if low <= time <= high)]
        best = min(candidates, key=lambda time: (round(_lead(time, keyframes), 6), abs(time - middle)))
        placed.append((_ms_up(best), length))
    return placed


def spans_keyed(duration: float) -> bool:
    """Whether an encode of ``duration`` gets a keyframe at each scored span (else the scoring
    decodes it whole): SPAN_KEYFRAMES_MIN_SECONDS."""
    return duration >= SPAN_KEYFRAMES_MIN_SECONDS


def span_inputs(
    path: str | Path, spans: list[tuple[float, float]], decoding: Sequence[str] = ()
) -> list[str]:
    """The same file opened once per span, each seeked to its start (frame-exact when decoded),
    its decoder given the input options ``decoding``."""
    args: list[str] = []
    for start, length in spans:
        args += ["-ss", f"{start:.3f}", "-t", f"{length:.3f}", *decoding, *input_args(path)]
    return args


def joined(first_input: int, count: int, vf: str | None, label: str) -> str:
    """A filtergraph part: inputs ``first_input``.. each filtered by ``vf``, then concatenated."""
    parts = []
    for offset in range(count):
        chain = f"{vf}," if vf else ""
        parts.append(f"[{first_input + offset}:v]{chain}setpts=PTS-STARTPTS[{label}{offset}]")
    pads = "".join(f"[{label}{offset}]" for offset in range(count))
    return ";".join(parts) + f";{pads}concat=n={count}:v=1:a=0[{label}]"


def cut(spans: list[tuple[float, float]], vf: str, label: str) -> str:
    """A filtergraph part: input 0, decoded once, filtered by ``vf``, its ``spans`` cut out (the
    frames a seek to each would give) and concatenated."""
    count = len(spans)
    parts = [f"[0:v]{vf},split={count}" + "".join(f"[{label}w{index}]" for index in range(count))]
    for index, (start, length) in enumerate(spans):  # ffmpeg's own trim for ``-ss start -t length``
        trim = f"trim=start={start:.3f}:duration={length:.3f}"  # the length from the first frame kept
        parts.append(f"[{label}w{index}]{trim},setpts=PTS-STARTPTS[{label}{index}]")
    pads = "".join(f"[{label}{index}]" for index in range(count))
    return ";".join(parts) + f";{pads}concat=n={count}:v=1:a=0[{label}]"


def measure_command(
    ffmpeg: str,
    distorted: Path,
    reference: str | Path,
    reference_vf: str | None,
    spans: list[tuple[float, float]],
    reference_offset: float = 0.0,
    pixel_format: str = SDR_PIXELS,
    distorted_spans: list[tuple[float, float]] | None = None,
    ssim: bool = True,
    distorted_whole: bool = False,
) -> list[str]:
    """The ffmpeg run that scores ``distorted`` against ``reference`` (through ``reference_vf``)
    on ``spans``; its stderr ends with the scores (see ``read_quality``; without ``ssim``, the
    VMAF alone: ``read_vmaf``).

    ``reference_offset``: where ``distorted`` starts in ``reference`` (a segment's start);
    ``pixel_format``: the encode's (``picture.pixel_format``), the reference's after its chain;
    ``distorted_spans``: where the same frames are in ``distorted``, when not at ``spans`` (a
    search's samples, encoded one after another: ``[(0, their length)]``); ``distorted_whole``:
    decode ``distorted`` once from its start and cut the spans from it, for a file without a
    keyframe at each span (``spans_keyed``), which a seek to each would decode from further back.
    """
    count = len(spans)
    own = spans if distorted_spans is None else distorted_spans
    vmaf = f"libvmaf=model={VMAF_MODEL}:n_threads=2:n_subsample={VMAF_SUBSAMPLE}:ts_sync_mode=nearest"
    if distorted_whole:
        distorted_inputs, distorted_graph = input_args(distorted), cut(own, f"format={pixel_format}", "d")
    else:
        distorted_inputs, distorted_graph = (
            span_inputs(distorted, own),
            joined(0, len(own), f"format={pixel_format}", "d"),
        )
    inputs_graph = [distorted_graph, joined(1 if distorted_whole else len(own), count, reference_vf, "r")]
    if ssim:  # SSIM on the frames VMAF scores: all of them cost 8 % of a 1080p segment's score
        every = f"select='not(mod(n,{VMAF_SUBSAMPLE}))'"  # libvmaf's own n_subsample rule
        scores = [
            "[d]split[d1][d2];[r]split[r1][r2]",
            f"[d1][r1]{vmaf}[scored]",
            f"[d2]{every}[d3];[r2]{every}[r3];[d3][r3]ssim=ts_sync_mode=nearest",
        ]
    else:  # a search's tries: SSIM is read from the delivered file only
        scores = [f"[d][r]{vmaf}[scored]"]
    graph = ";".join([*inputs_graph, *scores])
    shifted = [(round(start + reference_offset, 6), length) for start, length in spans]
    inputs = [*distorted_inputs, *span_inputs(reference, shifted)]
    scored = ["-filter_complex", graph, "-map", "[scored]", "-f", "null", "-"]
    return [*step_head(ffmpeg, loglevel="info"), *inputs, *scored]


def read_quality(log: str) -> Quality:
    """The scores at the end of a ``measure_command`` run's stderr (MeasureError: none there)."""
    ssim = _SSIM.search(log)
    if ssim is None:
        raise MeasureError(summarize_error(log) or "ffmpeg printed no score")
    return Quality(vmaf=read_vmaf(log), ssim=float(ssim.group(1)))


def read_vmaf(log: str) -> float:
    """The VMAF at the end of a ``measure_command`` run's stderr (MeasureError: none there)."""
    vmaf = _VMAF.search(log)
    if vmaf is None:
        raise MeasureError(summarize_error(log) or "ffmpeg printed no score")
    return float(vmaf.group(1))


def measure(
    ffmpeg: str, distorted: Path, reference: Path, reference_vf: str | None, spans: list[tuple[float, float]]
) -> Quality:
    """Score ``distorted`` here and now, outside a job (the benchmarks, the tests); a job's
    attempt runs ``measure_command`` as one of its steps."""
    done = subprocess.run(
        measure_command(ffmpeg, distorted, reference, reference_vf, spans), capture_output=True, check=False
    )
    text = done.stderr.decode("utf-8", "replace")
    if done.returncode != 0:
        raise MeasureError(summarize_error(text) or f"exit {done.returncode}")
    return read_quality(text)
