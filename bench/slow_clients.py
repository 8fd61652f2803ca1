"""Slow uploads against one web process: p99 of ``GET /api/jobs`` with 0, 100 and 500 of them open.

    .venv/bin/python -m bench.slow_clients [--seconds 15] [--levels 0,100,500]

One gunicorn+gevent process (SQLite, no worker). Each level opens that many uploads whose
bodies trickle in a few bytes at a time (8 per API key: the per-client cap), then times
``GET /api/jobs`` back to back for --seconds. Levels run in one process and one run;
the uploads of each level are finished (202) before the next. Target: p99 stays flat.
Each level also says what its burst cost: the seconds until every upload held its slot (all
opened at once), and the Redis commands the web process sent meanwhile.
"""

from __future__ import annotations

import argparse
import secrets
import statistics
import tempfile
import time
from pathlib import Path

import requests

from tests.conftest import make_clip
from tests.live.slow import SlowClients
from tests.live.stack import LiveStack, wait_until

PER_KEY = 8


def in_flight(stack: LiveStack) -> int:
    client = stack.redis_client()
    try:
        return sum(int(client.zcard(key)) for key in client.scan_iter(match="squeeze:uploads:*"))
    finally:
        client.close()


def redis_commands(stack: LiveStack) -> int:
    """Commands the stack's Redis has run since its counters were last reset, ours excluded."""
    client = stack.redis_client()
    try:
        stats = client.info("commandstats")
    finally:
        client.close()
    ours = ("cmdstat_scan", "cmdstat_zcard", "cmdstat_info", "cmdstat_config|resetstat")
    return sum(int(row["calls"]) for name, row in stats.items() if name not in ours)


def reset_counters(stack: LiveStack) -> None:
    client = stack.redis_client()
    try:
        client.config_resetstat()
    finally:
        client.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=15, help="timing per level (default 15)")
    parser.add_argument("--levels", default="0,100,500", help="slow uploads per level (default 0,100,500)")
    args = parser.parse_args()
    levels = [int(level) for level in args.levels.split(",")]
    keys = [f"bench-{i:03d}-{secrets.token_hex(6)}" for i in range(max(levels) // PER_KEY + 2)]
    watcher = keys[-1]
    results: dict[int, list[float]] = {}
    with tempfile.TemporaryDirectory(prefix="squeeze-bench-") as tmp:
        folder = Path(tmp)
        clip = make_clip(folder / "slow.mp4", seconds=2, size="320x240").read_bytes()
        stack = LiveStack(
            folder / "stack", start_worker=False, API_KEYS=",".join(keys), MAX_UPLOADS_PER_CLIENT=str(PER_KEY)
        )
        session = requests.Session()
        headers = {"Authorization": f"Bearer {watcher}"}
        try:
            for level in levels:
                slow = SlowClients("127.0.0.1", stack.port).start()
                try:
                    reset_counters(stack)
                    opened = time.monotonic()
                    for index in range(level):
                        slow.upload(keys[index // PER_KEY], clip)
                    wait_until(lambda n=level: in_flight(stack) == n, 120, f"{level} uploads to be open")
                    burst, commands = time.monotonic() - opened, redis_commands(stack)
                    timings: list[float] = []
                    deadline = time.monotonic() + args.seconds
                    while time.monotonic() < deadline:
                        started = time.perf_counter()
                        session.get(f"{stack.url}/api/jobs", headers=headers, timeout=30).raise_for_status()
                        timings.append(time.perf_counter() - started)
                    results[level] = timings
                    p50, p99 = statistics.median(timings), statistics.quantiles(timings, n=100)[98]
                    print(
                        f"{level:4} slow uploads open: GET /api/jobs p50 {p50 * 1000:6.1f} ms, "
                        f"p99 {p99 * 1000:6.1f} ms ({len(timings)} requests); every slot held "
                        f"{burst:.2f} s after the first was opened, {commands} Redis commands",
                        flush=True,
                    )
                    finished = slow.finish_uploads(batch=25)
                    assert finished.count(202) == level, {s: finished.count(s) for s in set(finished)}
                finally:
                    slow.close()
        finally:
            stack.stop()
    base = statistics.quantiles(results[levels[0]], n=100)[98]
    print("\nsummary (one run): p99 relative to the first level")
    for level, timings in results.items():
        p99 = statistics.quantiles(timings, n=100)[98]
        print(f"  {level:4} slow uploads: p99 {p99 * 1000:.1f} ms = {p99 / base:.2f} x")


if __name__ == "__main__":
    main()
