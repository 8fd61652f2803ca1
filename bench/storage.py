"""Many machines, measured: throughput per configuration, and what storage adds to a job.

    .venv/bin/python -m bench.storage [--jobs 24] [--seconds 60]

1. Jobs per minute with 1 and then 2 worker processes, short clips (3 s, 480p), against
   SQLite + file, PostgreSQL + S3 (SeaweedFS), and PostgreSQL + S3 with Redis over TLS, in one
   run, the configurations interleaved round by round. Target: PostgreSQL + S3 >= 0.9 x SQLite
   + file (all of them share this machine's cores with ffmpeg; on a deploy they are elsewhere).
2. For a 60 s 720p clip (69 MB) per configuration: the seconds spent moving its bytes (upload to
   the store at submit, fetch by the worker, upload of the output) over the seconds of compression
   proper (the attempt minus those moves), read from /metrics; the median of --repeat jobs after
   one that warms the store up (SeaweedFS makes its volumes on first write). Target: <= 5 %.

Each configuration gets a fresh stack (redis-server, gunicorn+gevent, RQ workers) in a
temporary folder; PostgreSQL and SeaweedFS are started once and stopped at the end.
"""

from __future__ import annotations

import argparse
import secrets
import statistics
import tempfile
import threading
import time
from pathlib import Path

import requests

from app.jobs.models import TERMINAL
from tests.conftest import make_clip
from tests.live.backends import SQLITE_FILE, Backend
from tests.live.servers import Postgres, SeaweedFS
from tests.live.stack import LiveStack

TOKEN = secrets.token_hex(8)


def throughput(stack: LiveStack, clip: Path, jobs: int) -> float:
    """Submit ``jobs`` clips at once (8 uploads in flight); jobs per minute from first submit to last end.

    Completion is read from the list (one request every half second), so the client's own
    polling costs the same whatever the configuration.
    """
    started = time.perf_counter()
    ids: set[str] = set()
    lock = threading.Lock()

    def submit(count: int) -> None:
        for _ in range(count):
            response = stack.submit(clip)
            response.raise_for_status()
            with lock:
                ids.add(response.json()["id"])

    threads = [threading.Thread(target=submit, args=(jobs // 8 + (i < jobs % 8),)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    while True:
        listed = requests.get(f"{stack.url}/api/jobs", params={"limit": 100}, timeout=30).json()["jobs"]
        ended = {job["id"]: job["status"] for job in listed if job["id"] in ids and job["status"] in TERMINAL}
        if len(ended) == len(ids):
            assert set(ended.values()) == {"succeeded"}, ended
            return jobs / ((time.perf_counter() - started) / 60)
        time.sleep(0.5)


def figures(stack: LiveStack) -> dict[str, float]:
    response = requests.get(f"{stack.url}/metrics", headers={"Authorization": f"Bearer {TOKEN}"}, timeout=10)
    response.raise_for_status()
    found = {}
    for line in response.text.splitlines():
        if line and not line.startswith("#"):
            name, _, value = line.rpartition(" ")
            found[name] = float(value)
    return found


def storage_share(stack: LiveStack, clip: Path, repeat: int) -> tuple[float, float]:
    """(seconds moving bytes, seconds compressing) of the median of ``repeat`` jobs of ``clip``."""
    one_job(stack, clip)  # warm-up, not counted
    results = sorted((one_job(stack, clip) for _ in range(repeat)), key=lambda r: r[0] / r[1])
    return results[len(results) // 2]


def one_job(stack: LiveStack, clip: Path) -> tuple[float, float]:
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
        "--rounds", type=int, default=3, help="throughput runs per case, interleaved (default 3)"
    )
    parser.add_argument(
        "--seconds", type=float, default=60, help="length of the storage-share clip (default 60)"
    )
    parser.add_argument(
        "--repeat", type=int, default=3, help="storage-share jobs; the median is shown (default 3)"
    )
    args = parser.parse_args()
    postgres, seaweed = Postgres(), SeaweedFS()
    backends = [
        SQLITE_FILE,
        Backend("postgres-s3", postgres, seaweed),
        Backend("pg-s3-tls", postgres, seaweed, tls_redis=True),
    ]
    rates: dict[tuple[str, int], list[float]] = {}
    shares: dict[str, tuple[float, float]] = {}
    stacks: dict[str, LiveStack] = {}
    try:
        with tempfile.TemporaryDirectory(prefix="squeeze-bench-") as tmp:
            folder = Path(tmp)
            short = make_clip(folder / "short.mp4", seconds=3, size="854x480")
            long = make_clip(folder / "long.mp4", seconds=args.seconds, size="1280x720")
            for backend in backends:
                stacks[backend.name] = LiveStack(folder / backend.name, backend=backend, METRICS_TOKEN=TOKEN)
                throughput(stacks[backend.name], short, 4)  # warm up: first imports, first connections
            for workers in (1, 2):
                if workers == 2:
                    for stack in stacks.values():
                        stack.start_worker()
                for _ in range(args.rounds):  # A, B, A, B...: both see the same machine
                    for name, stack in stacks.items():
                        rate = throughput(stack, short, args.jobs)
                        rates.setdefault((name, workers), []).append(rate)
                        print(f"{name:12} {workers} worker(s): {rate:6.1f} jobs/min", flush=True)
            for name, stack in stacks.items():
                for worker in stack.alive_workers()[1:]:
                    stack.kill(worker)
                shares[name] = storage_share(stack, long, args.repeat)
                moved, compressing = shares[name]
                summary = (
                    f"storage {moved:.2f} s / compression {compressing:.1f} s = {moved / compressing:.1%}"
                )
                print(f"{name:12} {summary}", flush=True)
    finally:
        for stack in stacks.values():
            stack.stop()
        postgres.stop()
        seaweed.stop()
    print("\nsummary (one run, same machine; medians of the interleaved rounds)")
    for workers in (1, 2):
        sqlite = statistics.median(rates[("sqlite-file", workers)])
        for name in ("postgres-s3", "pg-s3-tls"):
            other = statistics.median(rates[(name, workers)])
            ratio = f"{name} {other:.1f} / sqlite-file {sqlite:.1f} jobs/min = {other / sqlite:.2f}"
            print(f"  {workers} worker(s): {ratio}" + (" (target >= 0.9)" if name == "postgres-s3" else ""))
    for name, (moved, compressing) in shares.items():
        share = moved / compressing
        print(f"  {name}: storage adds {share:.1%} to a {args.seconds:.0f} s 720p job (target <= 5 %)")


if __name__ == "__main__":
    main()
