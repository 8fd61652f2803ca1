"""What proving the delivered file costs a job: the worker's check ÷ (encode + check).

    .venv/bin/python -m bench.verify_cost [--seconds 60] [--size 1280x720] [--rounds 1]

Makes one clip with ``bench.segments.make_clip`` (four scenes of equal length: testsrc2, a
Mandelbrot zoom, a moving gradient with grain, a cellular automaton; 25 fps, stereo sound; not
trivially compressible), then, each round, in-process on a Flask app over fakeredis as
``bench.quality`` does:

1. the job's encode as the worker runs it: ``app.work.encode.deliver`` with the default preset
   (its CRF search, encode and VMAF measurement), timed;
2. the check ``app/work/compress.py`` runs before a job succeeds, called the same way on the
   same ``Steps``: ``app.work.verify.verify`` (a packet listing of the input and of the output,
   a full ``-xerror`` decode of the output, a probe), timed, with its ffmpeg steps broken down.

Prints each round's encode and check seconds and the ratio check ÷ (encode + check), what the
check adds to the job as a share of its time, then the median over ``--rounds``. Target: <= 10 %
(the issue: at most 10 % of a 60 s job). Absolute seconds move with the machine's load (printed);
the ratio is taken within one round, encode and check back to back.
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from flask import Flask

from app.media import Options, probe
from app.work.encode import deliver, trimmed
from app.work.steps import Steps
from app.work.verify import verify
from bench.quality import attempt, bench_app
from bench.segments import make_clip
from tests.conftest import FFMPEG

TARGET = 0.10  # the check's share of the job's time


def timed_steps(steps: Steps, spent: dict[str, float]) -> None:
    """Add each of ``steps``' ffmpeg runs' seconds to ``spent``: "decode" or "listing"."""
    run = steps.run

    def timed(cmd: list[str], *args: Any, **kwargs: Any) -> Any:
        started = time.perf_counter()
        try:
            return run(cmd, *args, **kwargs)
        finally:
            kind = "decode" if "-xerror" in cmd else "listing"
            spent[kind] = spent.get(kind, 0.0) + time.perf_counter() - started

    steps.run = timed  # type: ignore[method-assign]


def one_round(app: Flask, clip: Path, folder: Path) -> tuple[float, float, dict[str, float], str]:
    """Encode ``clip`` as a job does, then check the result as the worker does: (encode seconds,
    check seconds, the check's ffmpeg seconds by kind, what was delivered)."""
    with app.app_context():
        steps, work = attempt(app, folder)
        options = Options()
        info = trimmed(probe(FFMPEG, clip), options)
        started = time.perf_counter()
        delivery = deliver(clip, info, options, clip.name, work, steps)
        encode = time.perf_counter() - started
        if delivery.kept_original:  # the worker checks nothing then: no figure to take
            raise SystemExit("the original was kept (nothing encoded to check): use a harder clip")
        spent: dict[str, float] = {}
        timed_steps(steps, spent)
        started = time.perf_counter()
        verify(clip, info, delivery.path, work, steps)
        check = time.perf_counter() - started
        crf = "-" if delivery.crf is None else f"{delivery.crf:g}"
        vmaf = "-" if delivery.quality is None else f"{delivery.quality.vmaf:.1f}"
        made = f"CRF {crf}, VMAF {vmaf}, {delivery.path.stat().st_size:,} bytes"
        delivery.path.unlink(missing_ok=True)
        return encode, check, spent, made


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=60.0, help="clip length (default 60)")
    parser.add_argument("--size", default="1280x720", help="clip size (default 1280x720)")
    parser.add_argument("--rounds", type=int, default=1, help="encode + check rounds (default 1)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-verify-") as tmp:
        folder = Path(tmp)
        started = time.perf_counter()
        clip = make_clip(folder / "scenes.mp4", args.seconds, args.size)
        seconds = probe(FFMPEG, clip).duration_seconds or args.seconds
        print(f"clip: {seconds:.2f} s {args.size}, four scenes, stereo, {clip.stat().st_size:,} bytes "
              f"(made in {time.perf_counter() - started:.1f} s); default preset")  # fmt: skip
        app = bench_app(folder)
        shares: list[float] = []
        for round_ in range(1, args.rounds + 1):
            load = os.getloadavg()[0]
            encode, check, spent, made = one_round(app, clip, folder)
            shares.append(check / (encode + check))
            parts = ", ".join(f"{kind} {value:.2f} s" for kind, value in sorted(spent.items()))
            rest = check - sum(spent.values())
            print(f"round {round_} (load average {load:.2f}): encode {encode:.2f} s ({made}); "
                  f"check {check:.2f} s ({parts}, probe and the rest {rest:.2f} s); check ÷ (encode + "
                  f"check) {shares[-1]:.1%}, check ÷ encode {check / encode:.1%}")  # fmt: skip
        share = statistics.median(shares)
        verdict = "met" if share <= TARGET else "NOT met"
        print(f"what the check adds to the job (median of {len(shares)}): {share:.1%} "
              f"(target <= {TARGET:.0%}: {verdict})")  # fmt: skip


if __name__ == "__main__":
    main()
