"""Bounded load: 50 clients submit small clips and poll them for 60 s against 2 workers.

    .venv/bin/python -m bench.load [--clients 50] [--seconds 60] [--workers 2]

Each client submits a 1 s clip, polls its status monitor (honouring Retry-After, at most
1 s apart) until it ends, then submits the next. After the window every submitted job must
reach 'succeeded'. Prints throughput, errors, lost jobs and the p50/p99 of submit and status.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import requests

from tests.conftest import make_clip
from tests.live.stack import LiveStack

POLL_CAP_SECONDS = 1.0
DRAIN_SECONDS = 300


def percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    return ordered[max(int(len(ordered) * pct / 100) - 1, 0)] * 1000 if ordered else float("nan")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--web", type=int, default=1, help="gunicorn gevent processes (default 1)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="squeeze-load-") as tmp:
        clip = make_clip(Path(tmp) / "clip.mp4", seconds=1, size="320x240")
        stack = LiveStack(Path(tmp) / "stack", web_processes=args.web)
        for _ in range(args.workers - 1):
            stack.start_worker()
        try:
            run(stack, clip, args.clients, args.seconds)
        finally:
            stack.stop()


def run(stack: LiveStack, clip: Path, clients: int, seconds: float) -> None:
    payload = clip.read_bytes()
    submit_times: list[float] = []
    status_times: list[float] = []
    errors: list[str] = []
    submitted: list[str] = []
    finished: dict[str, str] = {}
    lock = threading.Lock()
    stop_at = time.monotonic() + seconds

    def timed(what: str, times: list[float], expected: int, send: Callable[[], requests.Response]) -> Any:
        """Send one request, record its duration; the response if it had the expected status."""
        started = time.perf_counter()
        try:
            response = send()
        except requests.RequestException as exc:
            errors.append(f"{what}: {exc}")
            return None
        with lock:
            times.append(time.perf_counter() - started)
        if response.status_code != expected:
            errors.append(f"{what}: HTTP {response.status_code}")
            return None
        return response

    def client() -> None:
        session = requests.Session()
        upload = {"file": ("clip.mp4", payload)}
        while time.monotonic() < stop_at:
            response = timed(
                "submit",
                submit_times,
                202,
                lambda: session.post(stack.url + "/api/jobs", files=upload, timeout=60),
            )
            if response is None:
                continue
            job_url = response.headers["Location"]
            with lock:
                submitted.append(job_url)
            follow(session, job_url, float(response.headers.get("Retry-After", 1)))

    def follow(session: requests.Session, job_url: str, wait: float) -> None:
        while True:
            time.sleep(min(wait, POLL_CAP_SECONDS))
            response = timed("status", status_times, 200, lambda: session.get(job_url, timeout=60))
            if response is None:
                continue
            status = response.json()["status"]
            if status in {"succeeded", "failed", "canceled"}:
                with lock:
                    finished[job_url] = status
                return
            wait = float(response.headers.get("Retry-After", 1))

    began = time.monotonic()
    threads = [threading.Thread(target=client) for _ in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=seconds + DRAIN_SECONDS)
    elapsed = time.monotonic() - began
    succeeded = sum(1 for status in finished.values() if status == "succeeded")
    lost = [url for url in submitted if finished.get(url) != "succeeded"]
    print(
        f"{clients} clients for {seconds:.0f} s against {len(stack.alive_workers())} workers "
        f"(finished after {elapsed:.0f} s)"
    )
    print(
        f"jobs submitted {len(submitted)}, succeeded {succeeded}, lost or not succeeded {len(lost)}, "
        f"errors {len(errors)}"
    )
    print(f"throughput: {succeeded / elapsed:.2f} jobs/s; {len(status_times) / elapsed:.1f} status polls/s")
    print(
        f"submit: p50 {percentile(submit_times, 50):.0f} ms, p99 {percentile(submit_times, 99):.0f} ms; "
        f"status: p50 {percentile(status_times, 50):.1f} ms, p99 {percentile(status_times, 99):.1f} ms"
    )
    if errors:
        print("first errors:", *sorted(set(errors))[:5], sep="\n  ")
    if submit_times:
        print(
            f"(mean submit {statistics.mean(submit_times) * 1000:.0f} ms over {len(submit_times)} requests)"
        )


if __name__ == "__main__":
    main()
