"""Many machines, measured: throughput per configuration, and what storage adds to a job.

    .venv/bin/python -m bench.storage [--jobs 24] [--seconds 60]

1. Jobs per minute with 1 and then 2 worker processes, short clips (3 s, 480p), against
   SQLite + file and PostgreSQL + S3 (SeaweedFS) + TLS Redis, in one run. Target: PostgreSQL + S3
   >= 0.9 x SQLite + file.
2. For one 60 s 720p clip per configuration: the seconds spent moving its bytes (upload to the
   store at submit, fetch by the worker, upload of the output) over the seconds of compression
   proper (the attempt minus those moves), read from /metrics. Target: <= 5 %.

Each configuration gets a fresh stack (redis-server, gunicorn+gevent, RQ workers) in a
temporary folder; PostgreSQL and SeaweedFS are started once and stopped at the end.
"""

from __future__ import annotations

import argparse
import secrets
import tempfile
import threading
import time
from pathlib import Path

import requests

from tests.conftest import make_clip
from tests.live.backends import SQLITE_FILE, Backend
from tests.live.servers import Postgres, SeaweedFS
from tests.live.stack import LiveStack

TOKEN = secrets.token_hex(8)
TERMINAL = {"succeeded", "failed", "canceled"}


def throughput(stack: LiveStack, clip: Path, jobs: int) -> float:
    """Submit ``jobs`` clips at once (8 uploads in flight); jobs per minute from first submit to last end."""
    started = time.perf_counter()
    ids: list[str] = []
    lock = threading.Lock()

    def submit(count: int) -> None:
        for _ in range(count):
            response = stack.submit(clip)
            response.raise_for_status()
            with lock:
                ids.append(response.json()["id"])

    threads = [threading.Thread(target=submit, args=(jobs // 8 + (i < jobs % 8),)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for job_id in ids:
        done = stack.wait_for_status(job_id, TERMINAL, timeout=600)
        assert done["status"] == "succeeded", done
    return jobs / ((time.perf_counter() - started) / 60)


def figures(stack: LiveStack) -> dict[str, float]:
    response = requests.get(f"{stack.url}/metrics", headers={"Authorization": f"Bearer {TOKEN}"}, timeout=10)
    response.raise_for_status()
    found = {}
    for line in response.text.splitlines():
        if line and not line.startswith("#"):
            name, _, value = line.rpartition(" ")
            found[name] = float(value)
    return found


def storage_share(stack: LiveStack, clip: Path) -> tuple[float, float]:
    """(seconds moving bytes, seconds compressing) for one job of ``clip``."""
    before = figures(stack)
    job_id = stack.submit(clip).json()["id"]
    stack.wait_for_status(job_id, {"succeeded"}, timeout=900)
    after = figures(stack)

    def spent(name: str) -> float:
        return after.get(name, 0.0) - before.get(name, 0.0)

    moves = {
        op: spent(f'squeeze_storage_seconds_sum{{operation="{op}"}}') for op in ("fetch_input", "put_output")
    }
    upload = spent('squeeze_storage_seconds_sum{operation="put_input"}')
    attempt = spent("squeeze_compression_seconds_sum")
    return upload + sum(moves.values()), attempt - sum(moves.values())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=24, help="short clips per throughput run (default 24)")
    parser.add_argument(
        "--seconds", type=float, default=60, help="length of the storage-share clip (default 60)"
    )
    args = parser.parse_args()
    postgres, seaweed = Postgres(), SeaweedFS()
    backends = [SQLITE_FILE, Backend("postgres-s3", postgres, seaweed)]
    rates: dict[tuple[str, int], float] = {}
    shares: dict[str, tuple[float, float]] = {}
    try:
        with tempfile.TemporaryDirectory(prefix="squeeze-bench-") as tmp:
            folder = Path(tmp)
            short = make_clip(folder / "short.mp4", seconds=3, size="854x480")
            long = make_clip(folder / "long.mp4", seconds=args.seconds, size="1280x720")
            for backend in backends:
                stack = LiveStack(folder / backend.name, backend=backend, METRICS_TOKEN=TOKEN)
                try:
                    warm = stack.submit(short).json()["id"]  # warm up: first imports, first connections
                    stack.wait_for_status(warm, TERMINAL)
                    for workers in (1, 2):
                        if workers == 2:
                            stack.start_worker()
                        rate = rates[(backend.name, workers)] = throughput(stack, short, args.jobs)
                        print(f"{backend.name:12} {workers} worker(s): {rate:6.1f} jobs/min", flush=True)
                    for worker in stack.alive_workers()[1:]:
                        stack.kill(worker)
                    shares[backend.name] = storage_share(stack, long)
                    moved, compressing = shares[backend.name]
                    summary = (
                        f"storage {moved:.2f} s / compression {compressing:.1f} s = {moved / compressing:.1%}"
                    )
                    print(f"{backend.name:12} {summary}", flush=True)
                finally:
                    stack.stop()
    finally:
        postgres.stop()
        seaweed.stop()
    print("\nsummary (one run, same machine)")
    for workers in (1, 2):
        ratio = rates[("postgres-s3", workers)] / rates[("sqlite-file", workers)]
        print(f"  {workers} worker(s): postgres-s3 / sqlite-file throughput = {ratio:.2f} (target >= 0.9)")
    for name, (moved, compressing) in shares.items():
        share = moved / compressing
        print(f"  {name}: storage adds {share:.1%} to a {args.seconds:.0f} s 720p job (target <= 5 %)")


if __name__ == "__main__":
    main()
