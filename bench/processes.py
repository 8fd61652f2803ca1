"""Looking at a stack's processes from a benchmark: which one serves, how much memory it holds."""

from __future__ import annotations

import subprocess
from pathlib import Path

from tests.live.stack import LiveStack


def web_worker_pid(stack: LiveStack) -> int:
    """The pid of the (first) gunicorn worker: the process that serves requests."""
    assert stack.web is not None
    children = subprocess.run(
        ["pgrep", "-P", str(stack.web.pid)], capture_output=True, text=True
    ).stdout.split()
    return int(children[0])


def _status_mb(pid: int, field: str) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    return float("nan")


def rss_mb(pid: int) -> float:
    """Resident memory now."""
    return _status_mb(pid, "VmRSS")


def peak_rss_mb(pid: int) -> float:
    """The most resident memory the process has held (VmHWM)."""
    return _status_mb(pid, "VmHWM")
