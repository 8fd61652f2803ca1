"""What a split job's encode costs in itself: cutting into segments, and a CRF per segment.

    .venv/bin/python -m bench.split_encode [--seconds 240] [--size 1920x1080] [--grain 0]
        [--crfs 29,29.5,21.5,21.5,27,27,40,40] [--crf 24.7] [--segment-seconds 30]
    .venv/bin/python -m bench.split_encode --seconds 24 --size 320x240 --segment-seconds 3 \
        --crf 26 --crfs 30,25,20,35,28,22,26,24      # a quick check

``bench.segments``' clip, encoded by ffmpeg alone (no job, no search, no score, no check), each
arm pinned to a core of its own and timed in CPU seconds:

- **split CRFs**: the clip's segments (SEGMENT_SECONDS each, ``segment_command`` as a split job
  runs it), each at its own CRF (``--crfs``: by default those the split job chose in the last
  ``bench.segments --grain 0`` run at 1080p);
- **segments, one CRF**: the same segments, all at ``--crf`` (by default the single CRF that
  reached the split file's VMAF in that run);
- **one piece**: the whole clip at ``--crf`` (``preset_command``, as a one-piece job encodes it,
  without its audio: a split job encodes the audio once too, apart from the segments).

Split CRFs ÷ one piece is what the split's choices cost the encode; segments ÷ one piece what
cutting costs it. Whatever else a split job takes over one piece is its own work per segment
(search, score, check). Two rounds: split CRFs beside segments at one CRF, then one piece beside
split CRFs again (a second reading of the first arm, on the other core).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from app.media import Options, probe
from app.media.command import Rate, preset_command
from app.media.picture import video_filter
from app.media.segments import Segment, segment_command
from bench.segments import CODEC, PRESET, RATE, make_clip
from tests.conftest import FFMPEG

SPLIT_CRFS = "29,29.5,21.5,21.5,27,27,40,40"  # the split job's, bench.segments --grain 0, 1080p
ONE_CRF = 24.7  # the single CRF at the split file's VMAF (93.87) in that run
SEGMENT_SECONDS = 30.0  # the default SEGMENT_SECONDS


def cpu_seconds(commands: list[list[str]], core: int) -> list[float]:
    """Run ``commands`` one after another on ``core``; each one's CPU time (user + system, from
    its own ``wait4``: the other arm's processes run beside it)."""
    spent = []
    for command in commands:
        process = subprocess.Popen(["taskset", "-c", str(core), *command], stdout=subprocess.DEVNULL,
                                   stderr=subprocess.DEVNULL)  # fmt: skip
        _pid, status, usage = os.wait4(process.pid, 0)
        process.returncode = os.waitstatus_to_exitcode(status)
        if process.returncode != 0:
            raise RuntimeError(f"exit {process.returncode}: {' '.join(command[:12])} ...")
        spent.append(usage.ru_utime + usage.ru_stime)
    return spent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=240.0)
    parser.add_argument("--size", default="1920x1080")
    parser.add_argument("--grain", type=int, default=0)
    parser.add_argument("--crfs", default=SPLIT_CRFS, help="one CRF per segment")
    parser.add_argument("--crf", type=float, default=ONE_CRF, help="the one CRF")
    parser.add_argument("--segment-seconds", type=float, default=SEGMENT_SECONDS)
    args = parser.parse_args()
    crfs = [float(crf) for crf in args.crfs.split(",")]
    with tempfile.TemporaryDirectory(prefix="squeeze-split-encode-") as tmp:
        folder = Path(tmp)
        clip = make_clip(folder / "clip.mp4", args.seconds, args.size, grain=args.grain)
        info = probe(FFMPEG, clip)
        vf = video_filter(info, None, None)
        length = args.segment_seconds
        frames, count = round(length * RATE), round(args.seconds / length)
        if len(crfs) != count:
            raise SystemExit(f"{count} segments of {length:g} s: give {count} CRFs, not {len(crfs)}")
        seek = 0.5 / RATE  # half a frame before each segment's first, as plan() seeks
        segments = [
            Segment(n, n * frames, frames, n * length, length, max(n * length - seek, 0))
            for n in range(count)
        ]

        def arm(name: str) -> list[list[str]]:
            if name == "one piece":  # its picture only, as the segments' (a split job's audio is apart)
                options = Options(preset=PRESET, codec=CODEC)
                *head, target = preset_command(FFMPEG, clip, folder / "whole.mp4", options, info, args.crf)
                return [[*head, "-an", target]]
            at = crfs if name == "split CRFs" else [args.crf] * count
            return [
                segment_command(
                    FFMPEG, clip, folder / f"{name[:5]}-{s.number}.mp4", s, vf, CODEC, Rate(crf=at[s.number])
                )
                for s in segments
            ]

        readings: dict[str, list[float]] = {}
        for pair in (("split CRFs", "segments, one CRF"), ("one piece", "split CRFs")):
            with ThreadPoolExecutor(2) as pool:
                spent = list(pool.map(lambda item: cpu_seconds(arm(item[1]), item[0]), enumerate(pair)))
            for name, seconds in zip(pair, spent, strict=True):
                readings.setdefault(name, []).append(sum(seconds))
                each = ", ".join(f"{part:.1f}" for part in seconds)
                print(f"{name:18} {sum(seconds):7.1f} s CPU  per segment: {each}")
        whole = readings["one piece"][0]
        for name in ("split CRFs", "segments, one CRF"):
            ratios = ", ".join(f"{seconds / whole:.3f}" for seconds in readings[name])
            print(f"{name} ÷ one piece: {ratios}")


if __name__ == "__main__":
    main()
