"""Where the test suite's CPU goes: the suite run as ``make test`` runs it, every process sampled.

    .venv/bin/python -m bench.suite_cpu [--top 25] [-- extra pytest arguments]

Runs ``pytest -n 3 --dist loadfile`` and, twice a second until it ends, reads every process's CPU
time from ``/proc``. Each process is credited to an owner: the test folder its command line or
environment names (a live stack's, ``faults-postgres-s3``; an in-process test's, after its name),
else ``?``; and to a kind: ffmpeg by what it runs (``libx264``, ``libvmaf``...), ``gunicorn``,
``worker.py``, ``pytest``, ``chromium``... Prints the machine's busy CPU seconds (``/proc/stat``)
and the wall time, then CPU seconds by kind and by owner.

What it misses: a process that lives less than half a second between two samples (an ffprobe),
and the kernel's own time; the busy figure counts both. The suite is CPU-bound on two cores: its
wall time follows the busy CPU seconds (``make test``'s target: 10 minutes).
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import threading
import time
from collections import Counter, defaultdict
from pathlib import Path

from app import ROOT

SAMPLE_SECONDS = 0.5
TICKS = os.sysconf("SC_CLK_TCK")
TEST_FOLDER = re.compile(rb"/popen-gw\d+/([^/\x00 ]+)")  # pytest's folder for a test or a stack
KINDS = (b"chromium", b"postgres", b"weed", b"redis-server", b"node", b"gunicorn", b"worker.py",
         b"schemathesis", b"db upgrade")  # fmt: skip
ENCODERS = (b"libvmaf", b"libx265", b"libx264", b"libsvtav1", b"skip_loop_filter", b"ebur128", b"loudnorm")


def kind_of(command: bytes) -> str:
    """What a process is, from its command line."""
    if b"ffmpeg" in command:
        return "ffmpeg " + next((e.decode() for e in ENCODERS if e in command), "other")
    if b"ffprobe" in command:
        return "ffprobe"
    found = next((k.decode() for k in KINDS if k in command.replace(b"\0", b" ")), None)
    if found:
        return found
    return "pytest" if b"pytest" in command or b"exec(eval(sys.stdin" in command else "other"


def owner_of(pid: str, command: bytes) -> str:
    """The test folder a process works in (its command line's, else its environment's), else ?."""
    found = TEST_FOLDER.search(command)
    if found is None:
        try:
            found = TEST_FOLDER.search(Path(f"/proc/{pid}/environ").read_bytes())
        except OSError:
            found = None
    return found.group(1).decode() if found else "?"


def busy_seconds() -> float:
    fields = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:8]]
    return (sum(fields) - fields[3] - fields[4]) / TICKS  # all but idle and iowait


class Sampler:
    """Every process's CPU seconds, by (owner, kind), for processes born after it started."""

    def __init__(self) -> None:
        self.seen: dict[tuple[str, str], list] = {}  # (pid, start time) -> [owner, kind, cpu]
        self.before = {pid for pid in os.listdir("/proc") if pid.isdigit()}
        self.stopped = threading.Event()

    def run(self) -> None:
        while not self.stopped.wait(SAMPLE_SECONDS):
            for pid in os.listdir("/proc"):
                if pid.isdigit() and pid not in self.before:
                    self._read(pid)

    def _read(self, pid: str) -> None:
        try:
            stat = Path(f"/proc/{pid}/stat").read_text().rsplit(") ", 1)[1].split()
            cpu = (int(stat[11]) + int(stat[12])) / TICKS
            key = (pid, stat[19])
            if key not in self.seen:
                command = Path(f"/proc/{pid}/cmdline").read_bytes()
                self.seen[key] = [owner_of(pid, command), kind_of(command), cpu]
            self.seen[key][2] = cpu
        except (OSError, IndexError):
            pass

    def totals(self) -> tuple[Counter[str], Counter[str], dict[str, Counter[str]]]:
        kinds: Counter[str] = Counter()
        owners: Counter[str] = Counter()
        by_owner: dict[str, Counter[str]] = defaultdict(Counter)
        for owner, kind, cpu in self.seen.values():
            kinds[kind] += cpu
            owners[owner] += cpu
            by_owner[owner][kind] += cpu
        return kinds, owners, by_owner


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--top", type=int, default=25, help="owners listed (default 25)")
    parser.add_argument("pytest_args", nargs="*", help="more pytest arguments (after --)")
    args = parser.parse_args()
    sampler = Sampler()
    thread = threading.Thread(target=sampler.run, daemon=True)
    busy, started = busy_seconds(), time.monotonic()
    thread.start()
    command = [
        sys.executable,
        "-m",
        "pytest",
        "-n",
        "3",
        "--dist",
        "loadfile",
        "-q",
        "-p",
        "no:cacheprovider",
    ]
    done = subprocess.run([*command, *args.pytest_args], cwd=ROOT, check=False)
    sampler.stopped.set()
    thread.join()
    wall, busy = time.monotonic() - started, busy_seconds() - busy
    kinds, owners, by_owner = sampler.totals()
    print(f"\nwall {wall:.0f} s, machine busy {busy:.0f} CPU s ({busy / wall:.2f} cores), "
          f"credited to processes {sum(kinds.values()):.0f} CPU s")  # fmt: skip
    print("\nCPU s by kind")
    for kind, cpu in kinds.most_common():
        print(f"{cpu:8.1f}  {kind}")
    print("\nCPU s by owner (its three largest kinds)")
    for owner, cpu in owners.most_common(args.top):
        parts = ", ".join(f"{kind} {spent:.0f}" for kind, spent in by_owner[owner].most_common(3))
        print(f"{cpu:8.1f}  {owner:40s} {parts}")
    return done.returncode


if __name__ == "__main__":
    sys.exit(main())
