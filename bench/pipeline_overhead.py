"""Pipeline overhead: submit-to-succeeded wall time / the same ffmpeg command run directly.

    make bench            # or: .venv/bin/python -m bench.pipeline_overhead [--seconds 60] [--rounds 2]

Makes a 60 s 720p clip (testsrc2 + sine), then alternates direct runs and runs through a
real stack (redis-server, gunicorn+gevent, one RQ worker), following the job with the
long poll. Prints each pair's ratio and the median. Target: <= 1.05.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

import requests

from app.media import Options, preset_command, probe
from tests.conftest import FFMPEG, make_clip
from tests.live.stack import LiveStack


def direct_seconds(clip: Path, folder: Path) -> float:
    info = probe(FFMPEG, clip)
    cmd = preset_command(FFMPEG, clip, folder / "direct.mp4", Options(), info)
    started = time.perf_counter()
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - started


def pipeline_seconds(stack: LiveStack, clip: Path) -> tuple[float, float, float]:
    """(submit to succeeded, submit to running, the running phase), in seconds."""
    started = time.perf_counter()
    running_at = None
    with clip.open("rb") as handle:
        response = requests.post(stack.url + "/api/jobs", files={"file": (clip.name, handle)}, timeout=60)
    response.raise_for_status()
    url, etag = response.headers["Location"], response.headers["ETag"]
    while True:
        answer = requests.get(url, headers={"Prefer": "wait=60", "If-None-Match": etag}, timeout=70)
        if answer.status_code == 200:
            etag = answer.headers["ETag"]
            status = answer.json()["status"]
            now = time.perf_counter()
            if status == "running" and running_at is None:
                running_at = now
            if status == "succeeded":
                running_at = running_at or now
                return now - started, running_at - started, now - running_at
            if status in {"failed", "canceled"}:
                raise RuntimeError(answer.text)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=60.0, help="clip length (default 60)")
    parser.add_argument("--size", default="1280x720", help="clip size (default 1280x720)")
    parser.add_argument("--rounds", type=int, default=2, help="direct/pipeline pairs (default 2)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="squeeze-bench-") as tmp:
        folder = Path(tmp)
        clip = make_clip(folder / "bench.mp4", seconds=args.seconds, size=args.size, rate=30)
        stack = LiveStack(folder / "stack")
        ratios = []
        try:
            for round_ in range(1, args.rounds + 1):
                direct = direct_seconds(clip, folder)
                through, to_running, running = pipeline_seconds(stack, clip)
                ratios.append(through / direct)
                print(
                    f"round {round_}: direct {direct:.2f} s, pipeline {through:.2f} s "
                    f"(to running {to_running:.2f} s, running {running:.2f} s), ratio {ratios[-1]:.3f}"
                )
        finally:
            stack.stop()
        print(
            f"pipeline overhead (median of {len(ratios)}): {statistics.median(ratios):.3f}  (target <= 1.05)"
        )


if __name__ == "__main__":
    main()
