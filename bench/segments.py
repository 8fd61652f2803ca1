"""Segmented encoding: one long video split across workers, against one piece and one whole-file CRF.

    .venv/bin/python -m bench.segments [--seconds 240] [--size 1920x1080] [--segment-seconds 30]
    .venv/bin/python -m bench.segments --seconds 24 --size 640x360 --segment-seconds 6   # a quick check

Makes one clip of four scenes of equal length (testsrc2, a Mandelbrot zoom, a slowly moving
gradient with grain, a cellular automaton), 25 fps, x264 ultrafast CRF 16 (a large input), with a
stereo track (a tone beside pink noise), and runs it through real stacks, preset ``balanced``,
each worker pinned to a core of its own with ``taskset`` (a core stands for a host):

1. split on 2 workers (cores 0 and 1) ÷ split on 1 worker (core 0), submit → succeeded, followed
   by long poll. Target <= 0.6.
2. split on 1 worker ÷ one piece on 1 worker (SEGMENT_MIN_SECONDS above the clip's length): what
   splitting costs. Target <= 1.1.
3. bytes of the split output ÷ bytes of a whole-file encode at a single CRF at the same VMAF.
   The split output, the one-piece job's output and 2-3 whole-file encodes (``preset_command``,
   each pinned to one core as the workers' are, so x264 threads alike) are scored here against
   the source on the same spans (``app.media.quality.measure``); the whole-file bytes at the
   split output's VMAF are read off the line through ln(bytes) and ln(100 - VMAF). Target <= 0.95.

   The VMAF of each scene (quarter) is printed beside it: the mean can hide an uneven spread.

Then the phases of each job as the long poll saw them (upload, to running, to the first segment,
after the last one), each segment's worker and time (from the worker logs), and the model of wall
time on N hosts they give, T(N) ≈ fixed + D × c / N + tail, for N = 1, 2, 4, 8 (also with whole
segments claimed in order, as they are). Every figure is from one run.

Options: ``--segment-seconds`` (SEGMENT_SECONDS; SEGMENT_MIN_SECONDS becomes the smaller of 60 and
twice it, so a short clip splits; segments under 10 s get no CRF search of their own), ``--spans``
and ``--span-seconds`` (the scoring for ratio 3), ``--grain`` (0 for none), ``--keep`` (the folder,
with every stack's logs and the encodes).

Run it on a quiet machine: the work-horses run ffmpeg at nice 10, so anything else on the two
cores (a test suite) comes first and stretches the jobs unevenly; the load average is printed.
"""

from __future__ import annotations

import argparse
import math
import os
import re
import shutil
import subprocess
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import requests

from app.media import Options, probe
from app.media.command import default_crf, preset_command
from app.media.formats import CODECS, PRESETS
from app.media.picture import video_filter
from app.media.quality import MEASURE_SPAN_SECONDS, measure, sample_spans
from app.media.search import FLAT, clamp_crf, loss
from app.media.segments import SEGMENT_MIN_SECONDS
from app.work.segment_encode import SEGMENT_SEARCH_MIN_SECONDS
from tests.conftest import FFMPEG
from tests.live.stack import LiveStack

PRESET = "balanced"
CODEC = "h264"
RATE = 25
CORES = (0, 1)  # one per "host"
ONE_PIECE_MIN_SECONDS = "100000"  # SEGMENT_MIN_SECONDS above any clip here: the job stays one piece
JOB_TIMEOUT_SECONDS = 4 * 3600.0
WAIT_SECONDS = 30  # the long poll's wait
BUSY_LOAD = 0.5  # a 1-minute load average above this before the runs: warn that figures are skewed
# Log lines worth a look: the worker's format has no level name, so match on the words.
ODD = re.compile(
    r"traceback|error|exception|not scored|given back|not stored|could not|failed|warn|timed out|killed",
    re.IGNORECASE,
)
ENCODED = re.compile(r"job \S+: segment (\d+) encoded \(crf ([\d.]+), vmaf ([\d.]+|None)\)")
SEARCHED = re.compile(r"crf search: SearchResult\(crf=([\d.]+)")
HELPER_STARTS = "segments: app.work.segments.help_with("  # RQ's line as a worker starts a helper job
SEED = 7  # the random sources' seed: the same clip every run
SCENES = ("testsrc2", "mandelbrot", "gradient+grain", "cellauto")  # the clip's quarters, in order
SCENE_SPANS = 3  # spans scored per scene for the per-scene VMAF


def make_clip(
    path: Path, seconds: float, size: str, grain: int = 4, keyframe_seconds: float | None = None
) -> Path:
    """Four scenes of ``seconds / 4`` each, scaled to ``size``, 25 fps, x264 ultrafast CRF 16, stereo;
    ``grain``: the strength of the film-like grain on the smooth scene (0: none); ``keyframe_seconds``:
    at most this far between keyframes, as a camera writes them (a phone: 1 s; None: x264's 10 s)."""
    width, height = (int(part) for part in size.split("x"))
    part = seconds / 4
    small_w, small_h = max(width // 4, 64) // 2 * 2, max(height // 4, 36) // 2 * 2  # rendered small
    small = f"{small_w}x{small_h}"
    # Colours and end points given: left to chance, gradients' are not reproducible even with a seed.
    gradient = f"c0=0x5050c0:c1=0xd0c040:c2=0xf05030:x0=0:y0=0:x1={small_w - 1}:y1={small_h - 1}"
    scenes = [
        (f"testsrc2=size={size}:rate={RATE}", "bicubic", ""),
        (f"mandelbrot=size={small}:rate={RATE}:end_scale=0.01:end_pts={part * RATE:g}", "bicubic", ""),
        (
            f"gradients=size={small}:rate={RATE}:speed=0.005:n=3:{gradient}",
            "bicubic",
            f",noise=alls={grain}:allf=t:all_seed={SEED}" if grain else "",
        ),
        (f"cellauto=size={small}:rate={RATE}:rule=110:random_fill_ratio=0.4:seed={SEED}", "neighbor", ""),
    ]
    inputs: list[str] = []
    chains = []
    for index, (source, flags, after) in enumerate(scenes):
        inputs += ["-f", "lavfi", "-t", f"{part:.3f}", "-i", source]
        chains.append(
            f"[{index}:v]scale={width}:{height}:flags={flags},setsar=1,format=yuv420p{after},"
            f"setpts=PTS-STARTPTS[v{index}]"
        )
    inputs += ["-f", "lavfi", "-t", f"{seconds:.3f}", "-i", "sine=frequency=440:sample_rate=48000"]
    noise = f"anoisesrc=color=pink:amplitude=0.1:r=48000:seed={SEED}"
    inputs += ["-f", "lavfi", "-t", f"{seconds:.3f}", "-i", noise]
    pads = "".join(f"[v{index}]" for index in range(len(scenes)))
    graph = ";".join([*chains, f"{pads}concat=n={len(scenes)}:v=1:a=0[v]", "[4:a][5:a]amerge=inputs=2[a]"])
    codec = ["-c:v", "libx264", "-preset", "ultrafast", "-crf", "16", "-r", str(RATE), "-pix_fmt", "yuv420p"]
    if keyframe_seconds is not None:
        codec += ["-g", str(max(round(keyframe_seconds * RATE), 1))]
    codec += ["-c:a", "aac", "-b:a", "192k", "-ac", "2"]
    cmd = [FFMPEG, "-hide_banner", "-loglevel", "error", "-y", *inputs, "-filter_complex", graph]
    subprocess.run(
        [*cmd, "-map", "[v]", "-map", "[a]", *codec, "-t", f"{seconds:.3f}", str(path)], check=True
    )
    return path


@dataclass
class Seen:
    """One state of the job as the long poll returned it, ``at`` seconds after the submit began."""

    at: float
    status: str
    segments: dict[str, int] | None
    progress: float


@dataclass
class Run:
    """One job through one stack: its wall time, final document, timeline, output and worker logs."""

    label: str
    wall: float
    uploaded: float  # submit → the POST's answer
    job: dict[str, Any]
    timeline: list[Seen]
    output: Path
    submitted: float  # the submit's moment, seconds since the epoch (to place worker log lines)
    load: float  # this machine's 1-minute load average as the job was submitted (others' work skews it all)
    logs: dict[str, str] = field(default_factory=dict)

    def first(self, check: Callable[[Seen], object]) -> float | None:
        """When the long poll first saw a state passing ``check``."""
        return next((seen.at for seen in self.timeline if check(seen)), None)

    @property
    def to_running(self) -> float | None:
        return self.first(lambda s: s.status in ("running", "succeeded"))

    @property
    def to_first_segment(self) -> float | None:
        return self.first(lambda s: s.segments and s.segments["running"] + s.segments["done"] >= 1)

    @property
    def to_two_running(self) -> float | None:
        return self.first(lambda s: s.segments and s.segments["running"] >= 2)

    @property
    def segment_count(self) -> int:
        return int((self.job.get("segments") or {}).get("total") or 0)

    def done_at(self, count: int) -> float | None:
        return self.first(lambda s: s.segments and s.segments["done"] >= count)

    @property
    def all_done(self) -> float | None:
        return self.done_at(self.segment_count) if self.segment_count else None


def follow(stack: LiveStack, clip: Path, **fields: str) -> tuple[float, float, dict[str, Any], list[Seen]]:
    """Submit ``clip`` and follow it by long poll to ``succeeded``: (wall, upload seconds, job, timeline)."""
    started = time.perf_counter()
    with clip.open("rb") as handle:
        response = requests.post(
            stack.url + "/api/jobs", files={"file": (clip.name, handle)}, data=fields, timeout=600
        )
    response.raise_for_status()
    uploaded = time.perf_counter() - started
    url, etag = response.headers["Location"], response.headers["ETag"]
    timeline: list[Seen] = []
    while True:
        if time.perf_counter() - started > JOB_TIMEOUT_SECONDS:
            raise RuntimeError(f"the job at {url} did not finish in {JOB_TIMEOUT_SECONDS:.0f} s")
        answer = requests.get(
            url, headers={"Prefer": f"wait={WAIT_SECONDS}", "If-None-Match": etag}, timeout=WAIT_SECONDS + 30
        )
        if answer.status_code == 304:
            continue
        answer.raise_for_status()
        now = time.perf_counter() - started
        etag = answer.headers["ETag"]
        job: dict[str, Any] = answer.json()
        timeline.append(Seen(now, job["status"], job.get("segments"), float(job.get("progress") or 0.0)))
        if job["status"] == "succeeded":
            return now, uploaded, job, timeline
        if job["status"] in ("failed", "canceled"):
            raise RuntimeError(f"the job ended {job['status']}: {job.get('error')}")


def download(stack: LiveStack, job_id: str, target: Path) -> Path:
    with requests.get(f"{stack.url}/api/jobs/{job_id}/output", stream=True, timeout=120) as response:
        response.raise_for_status()
        with target.open("wb") as out:
            for chunk in response.iter_content(1 << 20):
                out.write(chunk)
    return target


def run_stack(
    folder: Path, label: str, clip: Path, workers: int, segment: str, least: str, keep: bool
) -> Run:
    """A fresh stack (SEGMENT_SECONDS ``segment``, SEGMENT_MIN_SECONDS ``least``) with ``workers``
    workers, worker k pinned to CORES[k]; one job through it."""
    stack = LiveStack(folder / label, start_worker=False, SEGMENT_SECONDS=segment, SEGMENT_MIN_SECONDS=least)
    try:
        for core in CORES[:workers]:
            stack.start_worker(prefix=["taskset", "-c", str(core)])
        load, submitted = os.getloadavg()[0], time.time()
        wall, uploaded, job, timeline = follow(stack, clip, preset=PRESET)
        output = download(stack, job["id"], folder / f"{label}.mp4")
    finally:
        stack.stop()
    logs = {path.name: path.read_text(errors="replace") for path in sorted((folder / label).glob("*.log"))}
    if not keep:
        shutil.rmtree(folder / label / "storage", ignore_errors=True)  # a copy of the large input
    return Run(label, wall, uploaded, job, timeline, output, submitted, load, logs)


@dataclass(frozen=True)
class Point:
    """A whole-file encode at one CRF (None: not known), scored against the source."""

    label: str
    crf: float | None
    vmaf: float
    size: int
    path: Path


def encode_whole(clip: Path, crfs: list[float], folder: Path) -> dict[float, Path]:
    """The whole file at each CRF with the preset's command, up to one encode per core at a time,
    each pinned to its core as the workers are."""
    info = probe(FFMPEG, clip)
    done: dict[float, Path] = {}
    for batch in range(0, len(crfs), len(CORES)):
        running = []
        for core, crf in zip(CORES, crfs[batch : batch + len(CORES)], strict=False):
            out = folder / f"whole-crf{crf:g}.mp4"
            cmd = preset_command(FFMPEG, clip, out, Options(preset=PRESET, codec=CODEC), info, crf)
            running.append((crf, out, subprocess.Popen(["taskset", "-c", str(core), *cmd],
                                                       stdout=subprocess.DEVNULL)))  # fmt: skip
        for crf, out, process in running:
            if process.wait() != 0:
                raise RuntimeError(f"the whole-file encode at CRF {crf:g} failed (exit {process.returncode})")
            done[crf] = out
    return done


def at_vmaf(points: list[Point], vmaf: float) -> tuple[float, float | None, str]:
    """Bytes (and CRF, when both ends have one) at ``vmaf``, on the line through (ln(100 - VMAF),
    ln(bytes)) of the two points either side of it (else the two nearest: extrapolated)."""
    ordered = sorted(points, key=lambda p: p.vmaf)
    below = [p for p in ordered if p.vmaf <= vmaf]
    above = [p for p in ordered if p.vmaf >= vmaf]
    if below and above and below[-1] is not above[0]:
        a, b, how = below[-1], above[0], "interpolated"
    elif below and above:
        return float(below[-1].size), below[-1].crf, "measured"
    else:
        nearest = sorted(ordered, key=lambda p: abs(p.vmaf - vmaf))[:2]
        a, b, how = nearest[0], nearest[1], "EXTRAPOLATED"
    if loss(a.vmaf) == loss(b.vmaf):
        return float(a.size), a.crf, how
    share = (loss(vmaf) - loss(a.vmaf)) / (loss(b.vmaf) - loss(a.vmaf))
    size = math.exp(math.log(a.size) + share * (math.log(b.size) - math.log(a.size)))
    crf = None if a.crf is None or b.crf is None else a.crf + share * (b.crf - a.crf)
    return size, crf, how


def crf_towards(points: list[Point], vmaf: float, guess: float) -> float:
    """The CRF whose whole-file encode should score ``vmaf``: from the point with a known CRF
    nearest it, along the slope the two nearest measure (else the codec's); ``guess`` if none has one."""
    known = sorted((p for p in points if p.crf is not None), key=lambda p: abs(p.vmaf - vmaf))
    if not known:
        return guess
    slope = CODECS[CODEC].slope
    if len(known) >= 2:
        a, b = known[0], known[1]
        if a.crf != b.crf and a.crf is not None and b.crf is not None:
            measured = (loss(b.vmaf) - loss(a.vmaf)) / (b.crf - a.crf)
            slope = measured if measured > FLAT else slope
    nearest = known[0]
    assert nearest.crf is not None
    return nearest.crf + (loss(vmaf) - loss(nearest.vmaf)) / slope


def equal_quality(
    clip: Path, split: Run, piece: Run, folder: Path, spans: list[tuple[float, float]]
) -> tuple[float, str]:
    """Ratio 3: split bytes ÷ whole-file single-CRF bytes at the split output's VMAF (and how
    that was found)."""
    info = probe(FFMPEG, clip)
    vf = video_filter(info, None)

    def score(path: Path) -> float:
        return measure(FFMPEG, path, clip, vf, spans).vmaf

    split_vmaf = score(split.output)
    split_bytes = split.output.stat().st_size
    delivered = (split.job["output"] or {}).get("quality") or {}
    print(f"split output: {split_bytes:,} bytes, VMAF here {split_vmaf:.2f} "
          f"(the job's own, from its segments' scores: {delivered.get('vmaf')})")  # fmt: skip
    piece_crf_found = SEARCHED.findall("".join(piece.logs.values()))
    piece_crf = float(piece_crf_found[-1]) if piece_crf_found else None
    own = ((piece.job["output"] or {}).get("quality") or {}).get("vmaf")
    piece_label = f"one-piece job (its own VMAF {own})"
    points = [Point(piece_label, piece_crf, score(piece.output), piece.output.stat().st_size, piece.output)]
    segments = (split.job["output"] or {}).get("segments") or []
    pairs = [(s["crf"], s["duration_seconds"]) for s in segments if s.get("crf") is not None]
    mean_crf = sum(c * d for c, d in pairs) / sum(d for _, d in pairs) if pairs else 25.0
    centre = clamp_crf(crf_towards(points, split_vmaf, mean_crf), CODEC)
    low, high = CODECS[CODEC].crf_range
    first = sorted({clamp_crf(centre - 1, CODEC), clamp_crf(centre + 1, CODEC)})
    for crf, path in encode_whole(clip, first, folder).items():
        points.append(Point("whole file", crf, score(path), path.stat().st_size, path))
    if not (min(p.vmaf for p in points) <= split_vmaf <= max(p.vmaf for p in points)):
        aimed = crf_towards(points, split_vmaf, centre)
        step = 1.0 if aimed > centre else -1.0  # a little past the aim, so the points bracket it
        third = clamp_crf(min(max(aimed + step, low), high), CODEC)
        if third not in {p.crf for p in points}:
            for crf, path in encode_whole(clip, [third], folder).items():
                points.append(Point("whole file", crf, score(path), path.stat().st_size, path))
    print("| encode | CRF | VMAF | bytes | ln(100 - VMAF) |")
    print("|---|---|---|---|---|")
    print(f"| split ({split.label}) | segments' mean {mean_crf:.2f} | {split_vmaf:.2f} | {split_bytes:,} "
          f"| {loss(split_vmaf):.3f} |")  # fmt: skip
    for point in sorted(points, key=lambda p: -p.vmaf):
        crf_shown = "?" if point.crf is None else f"{point.crf:g}"
        print(f"| {point.label} | {crf_shown} | {point.vmaf:.2f} | {point.size:,} | {loss(point.vmaf):.3f} |")
    equal_bytes, equal_crf, how = at_vmaf(points, split_vmaf)
    nearest = min(abs(p.vmaf - split_vmaf) for p in points)
    crf_text = "" if equal_crf is None else f" (CRF {equal_crf:.2f})"
    print(f"whole file at VMAF {split_vmaf:.2f}: {equal_bytes:,.0f} bytes{crf_text}, {how}; "
          f"nearest point {nearest:.2f} VMAF away")  # fmt: skip
    closest = min((p for p in points if p.label == "whole file"), key=lambda p: abs(p.vmaf - split_vmaf))
    duration = info.duration_seconds or 0.0
    print(f"VMAF per scene ({', '.join(SCENES)}; {SCENE_SPANS} spans each), which the mean hides:")
    for label, path in (("split", split.output), (f"whole file CRF {closest.crf:g}", closest.path),
                        ("one-piece job", piece.output)):  # fmt: skip
        scenes = [measure(FFMPEG, path, clip, vf, spans).vmaf for spans in scene_spans(duration, spans)]
        print(f"  {label}: {' / '.join(f'{vmaf:.1f}' for vmaf in scenes)} (worst {min(scenes):.1f})")
    return split_bytes / equal_bytes, how


def scene_spans(duration: float, spans: list[tuple[float, float]]) -> list[list[tuple[float, float]]]:
    """SCENE_SPANS spans (as long as ``spans``'s) spread through each of the clip's scenes."""
    length = spans[0][1] if spans else MEASURE_SPAN_SECONDS
    part = duration / len(SCENES)
    return [
        [
            (round(index * part + start, 3), seconds)
            for start, seconds in sample_spans(part, SCENE_SPANS, length)
        ]
        for index in range(len(SCENES))
    ]


def phases(run: Run, seconds: float) -> None:
    """The job's timeline as the long poll saw it."""

    def at(value: float | None) -> str:
        return "-" if value is None else f"{value:.2f}"

    parts = [f"upload {run.uploaded:.2f}", f"to running {at(run.to_running)}"]
    if run.segment_count:
        first, done = run.to_first_segment, run.all_done
        parts += [f"to first segment {at(first)}"]
        if run.to_two_running is not None:
            parts += [f"to 2 running {at(run.to_two_running)}"]
        if first is not None and done is not None:
            span = done - first
            each = span / run.segment_count
            parts.append(
                f"segments {span:.2f} ({run.segment_count}: {each:.2f} each, "
                f"{span / seconds:.3f} s per video s)"
            )
            parts.append(f"after the last {run.wall - done:.2f}")
    parts += [f"wall {run.wall:.2f} (load average {run.load:.2f} at submit)"]
    print(f"{run.label}: " + ", ".join(parts))


def logged_at(run: Run, line: str) -> float | None:
    """Seconds from the submit to a worker log line (its asctime: this machine's local time)."""
    try:
        moment = datetime.strptime(line[:23], "%Y-%m-%d %H:%M:%S,%f")
    except ValueError:
        return None
    return moment.timestamp() - run.submitted


def segment_times(run: Run) -> dict[int, tuple[str, float | None, float | None]]:
    """Per segment: the worker that encoded it, when (seconds after the submit) and how long it
    took, from the worker logs: since that worker's previous segment or the start of the helper
    job that took it (so a helper's fetch and probe of the input count), else since the long poll
    first saw a segment running (a coordinator's first: approximate)."""
    found: dict[int, tuple[str, float | None, float | None]] = {}
    for name, text in sorted(run.logs.items()):
        previous: float | None = None
        for line in text.splitlines():
            match = ENCODED.search(line)
            if not match and HELPER_STARTS not in line:
                continue
            at = logged_at(run, line)
            if match:
                start = previous if previous is not None else run.to_first_segment
                took = None if at is None or start is None else at - start
                found[int(match[1])] = (name.removesuffix(".log"), at, took)
            previous = at
    return found


def per_segment(run: Run) -> None:
    """The split output's segments, and which worker encoded which, when, in how long."""
    times = segment_times(run)
    for name, text in sorted(run.logs.items()):
        starts = [
            at
            for line in text.splitlines()
            if HELPER_STARTS in line and (at := logged_at(run, line)) is not None
        ]
        if starts:
            during = ", ".join(f"{at:.2f}" for at in starts if at <= run.wall)
            late = sum(at > run.wall for at in starts)
            print(f"{run.label} {name.removesuffix('.log')}: helper jobs started at [{during}] s, "
                  f"{late} more after the job had succeeded (nothing left to do)")  # fmt: skip
    print(f"{run.label} segments (encoded at: seconds after the submit, from the worker's log):")
    print("| n | start s | duration s | CRF | VMAF | bytes | encoded at s | took s | worker |")
    print("|---|---|---|---|---|---|---|---|---|")
    for number, segment in enumerate((run.job["output"] or {}).get("segments") or []):
        worker, at, took = times.get(number, ("?", None, None))
        at_text = "-" if at is None else f"{at:.2f}"
        took_text = "-" if took is None else f"{took:.2f}"
        print(f"| {number} | {segment['start_seconds']:.2f} | {segment['duration_seconds']:.2f} "
              f"| {segment.get('crf')} | {segment.get('vmaf')} | {segment.get('size_bytes') or 0:,} "
              f"| {at_text} | {took_text} | {worker} |")  # fmt: skip


def makespan(durations: list[float], hosts: int) -> float:
    """How long ``hosts`` workers take over segments claimed in order, each by the first one free."""
    free = [0.0] * hosts
    for took in durations:
        index = free.index(min(free))
        free[index] += took
    return max(free)


def model(one: Run, two: Run, piece: Run, seconds: float) -> None:
    """T(N) ≈ fixed + D × c / N + tail from the one-worker split run; also with whole segments of
    the mean cost, and with the measured segments claimed in order (they differ with the scene)."""
    first, done = one.to_first_segment, one.all_done
    if first is None or done is None or not one.segment_count:
        print("model: the one-worker run's timeline has no segment phase")
        return
    fixed, tail = first, one.wall - done
    per_second = (done - first) / seconds
    per_segment = (done - first) / one.segment_count
    times = segment_times(one)
    durations = [times[n][2] for n in range(one.segment_count) if n in times]
    measured_each = [took for took in durations if took is not None]
    complete = len(measured_each) == one.segment_count
    print(f"model from {one.label}: fixed {fixed:.2f} s (upload {one.uploaded:.2f}, to running "
          f"{(one.to_running or 0):.2f}, then fetch, frame listing, plan, audio), c = {per_second:.3f} s "
          f"per video second ({per_segment:.2f} s per segment of {seconds / one.segment_count:.1f} s on "
          f"average), tail {tail:.2f} s (join, compare frames, store)")  # fmt: skip
    if complete:
        print(f"segments took {', '.join(f'{took:.2f}' for took in measured_each)} s on one worker")
    print("| N hosts | fixed + D·c/N + tail, s | fixed + ⌈K/N⌉·mean segment + tail, s "
          "| fixed + segments in order on N + tail, s | measured, s | ÷ one piece (in order) |")  # fmt: skip
    print("|---|---|---|---|---|---|")
    measured = {1: one.wall, 2: two.wall}
    for hosts in (1, 2, 4, 8):
        smooth = fixed + seconds * per_second / hosts + tail
        granular = fixed + math.ceil(one.segment_count / hosts) * per_segment + tail
        ordered = fixed + makespan(measured_each, hosts) + tail if complete else math.nan
        seen = f"{measured[hosts]:.2f}" if hosts in measured else "-"
        best = ordered if complete else smooth
        print(
            f"| {hosts} | {smooth:.2f} | {granular:.2f} | {ordered:.2f} | {seen} | {best / piece.wall:.3f} |"
        )


def odd_lines(run: Run, limit: int = 12) -> None:
    """Lines of the stack's logs that look like trouble, and how many segments each worker encoded."""
    counts = {
        name: len(ENCODED.findall(text)) for name, text in run.logs.items() if name.startswith("worker")
    }
    print(f"{run.label} logs: segments encoded per worker {counts or '-'}")
    for name, text in run.logs.items():
        lines = [line for line in text.splitlines() if ODD.search(line)]
        for line in lines[:limit]:
            print(f"  {name}: {line[:240]}")
        if len(lines) > limit:
            print(f"  {name}: ... {len(lines) - limit} more such lines")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=240.0, help="clip length (default 240)")
    parser.add_argument("--size", default="1920x1080", help="clip size (default 1920x1080)")
    parser.add_argument("--segment-seconds", type=float, default=30.0, help="SEGMENT_SECONDS (default 30)")
    parser.add_argument(
        "--spans", type=int, default=12, help="spans scored per file for ratio 3 (default 12)"
    )
    parser.add_argument("--span-seconds", type=float, default=MEASURE_SPAN_SECONDS, help="each this long")
    parser.add_argument("--grain", type=int, default=4, help="grain on the gradient scene, 0-100 (default 4)")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder (logs, outputs)")
    args = parser.parse_args()
    if shutil.which("taskset") is None or not set(CORES) <= os.sched_getaffinity(0):
        parser.error(f"needs taskset and cores {CORES}")
    min_seconds = min(SEGMENT_MIN_SECONDS, 2 * args.segment_seconds)
    if args.seconds < min_seconds:
        parser.error(f"--seconds must be at least {min_seconds:g} to split with --segment-seconds")
    segment = f"{args.segment_seconds:g}"
    folder = Path(tempfile.mkdtemp(prefix="squeeze-bench-segments-"))
    try:
        started = time.perf_counter()
        clip = make_clip(folder / "mixed.mp4", args.seconds, args.size, args.grain)
        seconds = probe(FFMPEG, clip).duration_seconds or args.seconds
        load = os.getloadavg()[0]
        if load > BUSY_LOAD:
            print(f"warning: load average {load:.2f} before starting: other work will skew every figure")
        print(f"clip: {seconds:.2f} s {args.size} @ {RATE} fps, {clip.stat().st_size:,} bytes "
              f"(made in {time.perf_counter() - started:.1f} s); preset {PRESET} (VMAF target "
              f"{PRESETS[PRESET].vmaf_target:g}), segments of {segment} s; folder {folder}")  # fmt: skip
        if args.segment_seconds < SEGMENT_SEARCH_MIN_SECONDS:
            crf = default_crf(Options(preset=PRESET, codec=CODEC))
            least_searched = SEGMENT_SEARCH_MIN_SECONDS
            print(f"note: segments shorter than {least_searched:g} s get no CRF search of their own: "
                  f"each is encoded at the preset's CRF {crf:g}")  # fmt: skip
        least = f"{min_seconds:g}"
        one = run_stack(folder, "split-1-worker", clip, 1, segment, least, args.keep)
        two = run_stack(folder, "split-2-workers", clip, 2, segment, least, args.keep)
        piece = run_stack(folder, "one-piece-1-worker", clip, 1, segment, ONE_PIECE_MIN_SECONDS, args.keep)
        print()
        for run in (one, two, piece):
            phases(run, seconds)
        print()
        per_segment(one)
        print()
        per_segment(two)
        print()
        model(one, two, piece, seconds)
        print()
        for run in (one, two, piece):
            odd_lines(run)
        print()
        sizes = (
            f"{one.output.stat().st_size:,} / {two.output.stat().st_size:,} / {piece.output.stat().st_size:,}"
        )
        print(f"output bytes (split 1 worker / split 2 workers / one piece): {sizes}")
        spans = sample_spans(seconds, args.spans, args.span_seconds)
        ratio, how = equal_quality(clip, two, piece, folder, spans)
        print()
        print(f"1. split, 2 workers ÷ 1 worker: {two.wall:.2f} / {one.wall:.2f} s = "
              f"{two.wall / one.wall:.3f}  (target <= 0.6)")  # fmt: skip
        print(f"2. split ÷ one piece, 1 worker: {one.wall:.2f} / {piece.wall:.2f} s = "
              f"{one.wall / piece.wall:.3f}  (target <= 1.1)")  # fmt: skip
        print(f"3. split bytes ÷ whole-file single-CRF bytes at equal VMAF ({how}): {ratio:.3f}  "
              f"(target <= 0.95)")  # fmt: skip
        print(f"(whole benchmark {time.perf_counter() - started:.0f} s)")
    finally:
        if args.keep:
            print(f"kept {folder}")
        else:
            shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
