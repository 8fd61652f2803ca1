"""Upload throughput: the parts protocol vs one-shot ``POST /api/jobs``, a 1 GB file on loopback.

    .venv/bin/python -m bench.uploads [--size-mb 1024] [--parallel 4] [--rounds 2]

Starts one web process (gunicorn + gevent, no worker) with local-folder storage, makes a real
video padded to --size-mb (a two-second clip, then bytes a demuxer ignores), and sends it in
alternating rounds: one-shot (a streamed multipart POST, to 202) and in parts (the
``squeeze_client`` library, --parallel parts in flight, create to 202). The web process's RSS
is sampled every 50 ms during each. Prints MB/s, the ratio parts ÷ one-shot, and peak RSS.
Targets: ratio >= 0.9 and flat memory (peak RSS independent of the file's size).
"""

from __future__ import annotations

import argparse
import http.client
import os
import statistics
import tempfile
import threading
import time
import uuid
from collections.abc import Callable
from pathlib import Path

from squeeze_client import Client
from squeeze_client.resume import ResumeBook

from app.units import MB
from bench.processes import rss_mb, web_worker_pid
from tests.conftest import make_clip
from tests.live.stack import LiveStack

CHUNK = MB


def padded_video(folder: Path, size_mb: int) -> Path:
    """A real mp4 (its index first) followed by filler up to ``size_mb`` megabytes."""
    path = make_clip(folder / "big.mp4", seconds=2, size="320x240")
    with open(path, "ab") as out:
        filler = os.urandom(CHUNK)
        while out.tell() < size_mb * CHUNK:
            out.write(filler)
    return path


def one_shot(url: str, path: Path) -> None:
    """POST /api/jobs with the file as multipart/form-data, streamed from disk."""
    boundary = uuid.uuid4().hex
    head = (f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="big.mp4"\r\n'
            "Content-Type: video/mp4\r\n\r\n").encode()  # fmt: skip
    tail = f"\r\n--{boundary}--\r\n".encode()
    host, port = url.removeprefix("http://").split(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=600)
    connection.putrequest("POST", "/api/jobs")
    connection.putheader("Content-Type", f"multipart/form-data; boundary={boundary}")
    connection.putheader("Content-Length", str(len(head) + path.stat().st_size + len(tail)))
    connection.endheaders()
    connection.send(head)
    with open(path, "rb") as file:
        while chunk := file.read(CHUNK):
            connection.send(chunk)
    connection.send(tail)
    answer = connection.getresponse()
    body = answer.read()
    assert answer.status == 202, (answer.status, body[:300])
    connection.close()


def in_parts(url: str, path: Path, parallel: int, book: Path) -> None:
    job, _ = Client(url).upload(path, {}, parallel=parallel, book=ResumeBook(book))
    assert job["status"] == "queued", job


def measured(send: Callable[[], None], pid: int) -> tuple[float, float]:
    """Seconds ``send`` took, and the web process's peak RSS (MB) meanwhile."""
    peak, done = [rss_mb(pid)], threading.Event()

    def sample() -> None:
        while not done.wait(0.05):
            peak.append(rss_mb(pid))

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    started = time.perf_counter()
    send()
    seconds = time.perf_counter() - started
    done.set()
    sampler.join()
    return seconds, max(peak)


def main() -> None:
    raw = argparse.RawDescriptionHelpFormatter
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=raw)
    parser.add_argument("--size-mb", type=int, default=1024)
    parser.add_argument("--parallel", type=int, default=4)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        video = padded_video(folder, args.size_mb)
        size_mb = video.stat().st_size / 1e6
        stack = LiveStack(folder / "stack", start_worker=False)
        try:
            pid = web_worker_pid(stack)
            idle = rss_mb(pid)
            results: dict[str, list[tuple[float, float]]] = {"one-shot": [], "parts": []}
            for round_ in range(args.rounds):
                results["one-shot"].append(measured(lambda: one_shot(stack.url, video), pid))
                book = folder / f"book-{round_}.json"
                send = lambda b=book: in_parts(stack.url, video, args.parallel, b)  # noqa: E731
                results["parts"].append(measured(send, pid))
        finally:
            stack.stop()
    print(f"file: {size_mb:.0f} MB, web RSS idle {idle:.0f} MB, {args.rounds} interleaved rounds")
    speeds = {}
    for name, runs in results.items():
        speeds[name] = statistics.median(size_mb / seconds for seconds, _ in runs)
        peaks = ", ".join(f"{peak:.0f}" for _, peak in runs)
        print(f"{name:>9}: median {speeds[name]:.0f} MB/s; peak web RSS per round: {peaks} MB")
    print(f"parts ÷ one-shot throughput: {speeds['parts'] / speeds['one-shot']:.2f} (target >= 0.9)")


if __name__ == "__main__":
    main()
