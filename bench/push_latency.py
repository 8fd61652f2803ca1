"""Push latency: publish -> receipt at 1,000 WebSocket clients on ONE gevent web process.

    .venv/bin/python -m bench.push_latency [--clients 1000] [--jobs 100] [--rounds 20]

Starts redis-server and one gunicorn gevent worker (no RQ worker: this bench is the
publisher, exactly as a worker publishes), records jobs, opens the sockets, then publishes
--rounds changes of every job. Each message carries its publish time; clients (gevent
greenlets in this process) note when it arrives. Prints p50/p99 latency and the web
process's peak RSS (VmHWM). Targets: p99 <= 50 ms, <= 150 MB with 1,000 sockets open.
"""

from gevent import monkey

monkey.patch_all()

import argparse  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import re  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import gevent  # noqa: E402
import redis  # noqa: E402
import websocket  # noqa: E402

from app import ROOT  # noqa: E402
from bench.processes import peak_rss_mb, rss_mb, web_worker_pid  # noqa: E402
from tests.live.stack import LiveStack, wait_until  # noqa: E402

VERSION = re.compile(rb'"version":(\d+)')
SENT = re.compile(rb'"bench_sent":([0-9.]+)')
CLOSE = 0x8  # the opcode of a close frame
PUBLISH_INTERVAL_SECONDS = 0.5  # every job changes twice a second: a worker's fastest progress rate


def record_jobs(stack: LiveStack, count: int) -> list[dict]:
    """Insert queued jobs straight into the stack's database; their documents."""
    script = (
        "import json,sys,uuid\n"
        "from app import create_app\nfrom app.extensions import db\n"
        "from app.jobs.document import document\nfrom app.jobs.models import Job\n"
        "app = create_app()\nwith app.app_context():\n"
        "    jobs = [Job(id=str(uuid.uuid4()), owner='anonymous', input={'filename': 'b.mp4'}, options={})"
        f" for _ in range({count})]\n"
        "    db.session.add_all(jobs); db.session.commit()\n"
        "    print(json.dumps([document(j) for j in jobs]))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], env=stack.env, capture_output=True, check=True, text=True, cwd=ROOT
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def cpu_seconds(pid: int) -> float:
    """User + system CPU time the process has used so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(") ", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _frames(pending: bytearray) -> list[tuple[int, bytes]]:
    """The whole server frames at the start of ``pending`` (unmasked), as (opcode, payload); removed."""
    frames = []
    while len(pending) >= 2:
        size, head = pending[1] & 0x7F, 2
        if size >= 126:
            head = 4 if size == 126 else 10
            size = int.from_bytes(pending[2:head], "big")
        if len(pending) < head + size:
            break
        frames.append((pending[0] & 0x0F, bytes(pending[head : head + size])))
        del pending[: head + size]
    return frames


def percentile(ordered: list[float], pct: float) -> float:
    """The pct-th percentile of sorted seconds, in milliseconds (NaN for none)."""
    if not ordered:
        return float("nan")
    return ordered[max(int(len(ordered) * pct / 100) - 1, 0)] * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=1000)
    parser.add_argument("--jobs", type=int, default=100)
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--burst", action="store_true", help="every job changes at the same instant")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="squeeze-bench-") as tmp:
        stack = LiveStack(Path(tmp) / "stack", start_worker=False)
        try:
            run(stack, args.clients, args.jobs, args.rounds, args.burst)
        finally:
            stack.stop()


def run(stack: LiveStack, clients: int, job_count: int, rounds: int, burst: bool) -> None:
    docs = record_jobs(stack, job_count)
    pid = web_worker_pid(stack)
    idle_rss = rss_mb(pid)
    latencies: list[tuple[int, float]] = []  # (version, seconds)
    opened: list[int] = []
    initial: list[int] = []  # sockets that received their initial state
    closed: list[int] = []

    def client(index: int) -> None:
        job_id = docs[index % job_count]["id"]
        ws = websocket.create_connection(f"ws://127.0.0.1:{stack.port}/api/jobs/{job_id}/ws", timeout=300)
        opened.append(index)
        raw, pending = ws.sock, bytearray()  # after the handshake, read raw frames: the cheapest client
        try:
            while True:
                chunk = raw.recv(8192)
                received = time.time()
                if not chunk:
                    return
                pending += chunk
                for opcode, payload in _frames(pending):
                    if opcode == CLOSE:  # the server closes after the terminal message
                        ws.shutdown()
                        return
                    sent = SENT.search(payload)
                    if sent is None:  # the first message: the job's current state
                        initial.append(index)
                        continue
                    version = VERSION.search(payload)
                    assert version is not None
                    latencies.append((int(version.group(1)), received - float(sent.group(1))))
                    if b'"status":"succeeded"' in payload:
                        # Not closing here: 1,000 client close handshakes in this one process
                        # would delay reading the other sockets' terminal messages.
                        closed.append(index)
        finally:
            if ws.connected:
                ws.close()

    greenlets = [gevent.spawn(client, i) for i in range(clients)]
    wait_until(lambda: len(opened) == clients, 120, f"{clients} sockets to open")
    # The server sends each initial state after the handshake (a database read): publishing
    # before all arrived would time that start-up too.
    wait_until(lambda: len(initial) == clients, 120, f"{clients} sockets to receive their initial state")
    time.sleep(1)  # let the web process settle
    open_rss = rss_mb(pid)
    publisher = redis.Redis.from_url(stack.redis.url)
    cpu_before = cpu_seconds(pid)
    gap = PUBLISH_INTERVAL_SECONDS / job_count  # stagger the jobs evenly over each interval
    next_at = time.monotonic()
    cpu_progress = 0.0  # the web process's CPU time for the rounds before the terminal one
    for round_ in range(1, rounds + 1):
        if burst:
            next_at += PUBLISH_INTERVAL_SECONDS
            gevent.sleep(max(next_at - time.monotonic(), 0))
        if round_ == rounds:
            cpu_progress = cpu_seconds(pid) - cpu_before
        for doc in docs:
            status = "succeeded" if round_ == rounds else "running"
            message = {**doc, "status": status, "version": doc["version"] + round_, "bench_sent": time.time()}
            publisher.publish("squeeze:events", json.dumps({"owner": "anonymous", "job": message}))
            if not burst:
                next_at += gap
                gevent.sleep(max(next_at - time.monotonic(), 0))
    gevent.joinall(greenlets, timeout=60)
    cpu_used = cpu_seconds(pid) - cpu_before
    expected = clients * rounds
    final = max(version for version, _ in latencies)
    progress = sorted(seconds for version, seconds in latencies if version != final)
    terminal = sorted(seconds for version, seconds in latencies if version == final)
    pattern = "all at once" if burst else "staggered"
    print(f"sockets: {clients} on one gevent web process, {job_count} jobs, {rounds} changes each, {pattern}")
    print(
        f"messages received: {len(latencies)} of {expected}; "
        f"sockets closed after the terminal one: {len(closed)}"
    )
    for name, values in (
        ("all", sorted(progress + terminal)),
        ("progress", progress),
        ("terminal", terminal),
    ):
        p50, p99 = percentile(values, 50), percentile(values, 99)
        print(f"push latency, {name:8}: p50 {p50:6.1f} ms, p99 {p99:6.1f} ms, "
              f"max {percentile(values, 100):6.1f} ms  (target p99 <= 50 ms)")  # fmt: skip
    per_round = cpu_progress / max(rounds - 1, 1) * 1000
    print(f"web process CPU: {per_round:.0f} ms per round of {job_count} changes, "
          f"{(cpu_used - cpu_progress) * 1000:.0f} ms for the terminal one and the closes")  # fmt: skip
    print(f"web process RSS: idle {idle_rss:.0f} MB, with sockets open {open_rss:.0f} MB, "
          f"peak {peak_rss_mb(pid):.0f} MB  (target <= 150 MB)")  # fmt: skip


if __name__ == "__main__":
    main()
