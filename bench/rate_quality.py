"""Each scene's bytes and VMAF per CRF, and what three ways of choosing CRFs per scene cost.

    .venv/bin/python -m bench.rate_quality [--scene-seconds 8] [--size 1280x720] [--grain 4]

Encodes each quarter of ``bench.segments``' clip (testsrc2, a Mandelbrot zoom, a gradient with
grain, a cellular automaton) alone, as a segment is, at CRFs 14 to 38 in steps of 4 (the job's
own x264 settings, ``video_args``), and scores each against the source. Between two measured
CRFs, ln(bytes) and ln(100 - VMAF) are read off straight lines (``search.loss``). Then, on the
same table:

1. **per scene**: each scene at the highest CRF reaching the preset's VMAF target (what a split
   job's segments aim at), the lowest measured CRF where none does;
2. **one CRF**: the single CRF whose mean VMAF over the scenes equals (1)'s mean;
3. **cheapest**: the CRFs (one per scene, in whole steps) of fewest bytes whose mean VMAF is at
   least (1)'s mean (what an allocation by equal slope finds), and the same with every scene
   within 3 points of the target (the issue's promise per segment).

It shows when aiming every segment at the target costs more bytes at equal mean VMAF than one
CRF for the whole video: a scene whose VMAF barely moves until a cliff (grain that is either
dropped or kept at great cost) takes most of the bytes.
"""

from __future__ import annotations

import argparse
import itertools
import math
import subprocess
import tempfile
from pathlib import Path

from app.media.command import Rate, video_args
from app.media.formats import PRESETS
from app.media.quality import measure
from app.media.search import loss
from bench.segments import CODEC, PRESET, make_clip
from tests.conftest import FFMPEG

GRID = (14, 18, 22, 26, 30, 34, 38)  # CRFs encoded
STEPS = range(GRID[0], GRID[-1] + 1)  # CRFs read off the lines between them
PROMISE = 3.0  # VMAF points a segment may land from the target (the per-segment band)

Table = dict[int, tuple[float, float]]  # crf -> (bytes, vmaf)


def scene_table(clip: Path, scene: int, seconds: float, folder: Path) -> Table:
    """The scene's bytes and VMAF at each CRF of GRID."""
    table: Table = {}
    for crf in GRID:
        encoded = folder / f"scene{scene}-{crf}.mp4"
        cut = ["-ss", f"{scene * seconds:.3f}", "-t", f"{seconds:.3f}", "-i", str(clip), "-an"]
        cmd = [FFMPEG, "-loglevel", "error", "-y", *cut, *video_args(CODEC, Rate(crf=crf)), str(encoded)]
        subprocess.run(cmd, check=True)
        quality = measure_from(encoded, clip, scene * seconds, seconds)
        table[crf] = (float(encoded.stat().st_size), quality)
        encoded.unlink()
        print(f"  scene {scene} crf {crf}: {table[crf][0] / 1e6:8.3f} MB  VMAF {quality:6.2f}", flush=True)
    return table


def measure_from(encoded: Path, clip: Path, start: float, seconds: float) -> float:
    """VMAF of ``encoded`` against ``seconds`` of ``clip`` from ``start`` (the encode's own 0)."""
    reference = encoded.with_suffix(".ref.mkv")
    cut = ["-ss", f"{start:.3f}", "-t", f"{seconds:.3f}", "-i", str(clip), "-an", "-c:v", "ffv1"]
    subprocess.run([FFMPEG, "-loglevel", "error", "-y", *cut, str(reference)], check=True)
    try:
        return measure(FFMPEG, encoded, reference, None, [(0.0, seconds)]).vmaf
    finally:
        reference.unlink()


def at(table: Table, crf: float) -> tuple[float, float]:
    """Bytes and VMAF at ``crf``, on the lines between the two measured CRFs around it."""
    low = max(c for c in GRID if c <= crf)
    high = min(c for c in GRID if c >= crf)
    if low == high:
        return table[low]
    share = (crf - low) / (high - low)
    (bytes_low, vmaf_low), (bytes_high, vmaf_high) = table[low], table[high]
    size = math.exp(math.log(bytes_low) + share * (math.log(bytes_high) - math.log(bytes_low)))
    lost = loss(vmaf_low) + share * (loss(vmaf_high) - loss(vmaf_low))
    return size, 100.0 - math.exp(lost)


def per_scene(tables: list[Table], target: float) -> list[int]:
    """Each scene's highest CRF reaching ``target`` (its lowest where none does)."""
    return [max((c for c in STEPS if at(t, c)[1] >= target), default=STEPS[0]) for t in tables]


def one_crf(tables: list[Table], vmaf: float) -> float:
    """The single CRF (to 0.1) whose mean VMAF over the scenes is nearest ``vmaf``."""
    crfs = [GRID[0] + k / 10 for k in range((GRID[-1] - GRID[0]) * 10 + 1)]
    return min(crfs, key=lambda c: abs(sum(at(t, c)[1] for t in tables) / len(tables) - vmaf))


def cheapest(tables: list[Table], vmaf: float, floor: float | None) -> list[int] | None:
    """The CRFs of fewest bytes with a mean VMAF of at least ``vmaf`` (each scene at least
    ``floor``); None when none reaches it."""
    best: tuple[float, list[int]] | None = None
    for crfs in itertools.product(STEPS, repeat=len(tables)):
        points = [at(t, c) for t, c in zip(tables, crfs, strict=True)]
        if sum(v for _, v in points) / len(points) < vmaf:
            continue
        if floor is not None and min(v for _, v in points) < floor:
            continue
        size = sum(b for b, _ in points)
        if best is None or size < best[0]:
            best = (size, list(crfs))
    return best[1] if best else None


def report(
    name: str, tables: list[Table], crfs: list[float] | list[int] | None, reference: float | None
) -> float | None:
    """One line: the CRFs, each scene's VMAF, the mean, the bytes (and ÷ ``reference``)."""
    if crfs is None:
        print(f"{name:<34} none reaches it")
        return None
    points = [at(t, c) for t, c in zip(tables, crfs, strict=True)]
    size = sum(b for b, _ in points)
    mean = sum(v for _, v in points) / len(points)
    ratio = f"  ÷ one CRF {size / reference:5.2f}" if reference else ""
    scenes = " ".join(f"{c:g}:{v:5.1f}" for c, (_, v) in zip(crfs, points, strict=True))
    print(f"{name:<34} {scenes}  mean {mean:5.2f}  {size / 1e6:8.3f} MB{ratio}")
    return size


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--scene-seconds", type=float, default=8.0, help="each scene's length (default 8)")
    parser.add_argument("--size", default="1280x720", help="the clip's size (default 1280x720)")
    parser.add_argument("--grain", type=int, default=4, help="grain on the gradient scene (default 4)")
    args = parser.parse_args()
    target = PRESETS[PRESET].vmaf_target
    with tempfile.TemporaryDirectory(prefix="squeeze-rq-") as name:
        folder = Path(name)
        clip = make_clip(folder / "clip.mp4", args.scene_seconds * 4, args.size, args.grain)
        tables = [scene_table(clip, scene, args.scene_seconds, folder) for scene in range(4)]
    aimed = per_scene(tables, target)
    mean = sum(at(t, c)[1] for t, c in zip(tables, aimed, strict=True)) / len(tables)
    single = one_crf(tables, mean)
    print(f"\n{args.size}, scenes of {args.scene_seconds:g} s, grain {args.grain}, target VMAF {target:g}")
    reference = report("one CRF at the same mean", tables, [single] * len(tables), None)
    report(f"per scene, each at VMAF {target:g}", tables, [float(c) for c in aimed], reference)
    report("cheapest at the same mean", tables, cheapest(tables, mean, None), reference)
    floor = target - PROMISE
    report(f"cheapest, each scene >= {floor:g}", tables, cheapest(tables, mean, floor), reference)


if __name__ == "__main__":
    main()
