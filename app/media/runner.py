"""Run one ffmpeg process, reporting progress and stopping it when asked."""

from __future__ import annotations

import queue
import re
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from app.media.fence import Limits
from app.media.progress import Progress, ProgressParser

TICK_SECONDS = 0.25  # how often the runner checks should_stop and the stall clock
LOG_TAIL_CHARS = 16_384  # the end of ffmpeg's stderr a result keeps (its summary lines)
_ADDRESS = re.compile(r"^\[[^\]]*@ 0x[0-9a-f]+\]\s*")
_URL = re.compile(r"\b(?:https?|tls|tcp)://\S+")  # a StoreUrl: signed, never shown to anyone
_USEFUL = ("error", "invalid", "no such", "not found", "unsupported", "partial file", "no space", "corrupt")


@dataclass(frozen=True)
class RunResult:
    """How an ffmpeg run ended."""

    returncode: int | None  # None when it was stopped by us
    stopped: str | None  # "requested", "stalled", "timeout" or None
    seconds_done: float
    error_line: str  # the most telling line ffmpeg wrote, for a person
    log_tail: str = ""  # the end of what ffmpeg wrote on stderr (a score is printed there)


def run_ffmpeg(
    cmd: list[str],
    duration_seconds: float | None,
    on_progress: Callable[[Progress], None],
    should_stop: Callable[[], bool],
    stall_timeout: float,
    timeout: float,
    limits: Limits | None = None,
) -> RunResult:
    """Run ``cmd`` (which must write ``-progress pipe:1``) to completion or until stopped.

    ffmpeg stays in the caller's process group, so killing the group (RQ's stop-job
    command, a dyno restart) takes it along. ``limits`` are set on it before it starts.
    """
    parser = ProgressParser(duration_seconds)
    lines: queue.Queue[str | None] = queue.Queue()
    with tempfile.TemporaryFile() as stderr:
        proc = subprocess.Popen(
            cmd,
            stdout=subprocess.PIPE,
            stderr=stderr,
            stdin=subprocess.DEVNULL,
            preexec_fn=limits.preexec() if limits else None,
        )
        reader = threading.Thread(target=_pump, args=(proc.stdout, lines), daemon=True)
        reader.start()
        try:
            started = last_change = time.monotonic()
            seconds_done, stopped, eof = 0.0, None, False
            while not eof:
                try:
                    line = lines.get(timeout=TICK_SECONDS)
                except queue.Empty:
                    line = ""
                if line is None:
                    eof = True
                elif line:
                    report = parser.feed(line)
                    if report is not None:
                        if report.seconds_done > seconds_done or report.finished:
                            last_change = time.monotonic()
                        seconds_done = max(seconds_done, report.seconds_done)
                        on_progress(report)
                now = time.monotonic()
                if not eof:
                    stopped = _why_stop(should_stop, now - last_change, stall_timeout, now - started, timeout)
                    if stopped:
                        proc.kill()
                        break
        except BaseException:  # a progress callback failed: its ffmpeg must not outlive it
            proc.kill()
            proc.wait()
            raise
        returncode = proc.wait()
        reader.join(timeout=2)
        stderr.seek(0)
        text = stderr.read().decode("utf-8", "replace")
        error_line = summarize_error(text)
    return RunResult(
        returncode=None if stopped else returncode,
        stopped=stopped,
        seconds_done=seconds_done,
        error_line=error_line,
        log_tail=text[-LOG_TAIL_CHARS:],
    )


def _why_stop(
    should_stop: Callable[[], bool], idle: float, stall_timeout: float, elapsed: float, timeout: float
) -> str | None:
    if should_stop():
        return "requested"
    if idle > stall_timeout:
        return "stalled"
    if elapsed > timeout:
        return "timeout"
    return None


def _pump(stream: object, lines: queue.Queue[str | None]) -> None:
    for raw in iter(stream.readline, b""):  # type: ignore[attr-defined]
        lines.put(raw.decode("utf-8", "replace"))
    lines.put(None)


def summarize_error(stderr_text: str) -> str:
    """The one line of ffmpeg's error output a person can act on, without addresses or URLs."""
    bare = (_URL.sub("the stored input", _ADDRESS.sub("", line)) for line in stderr_text.splitlines())
    lines = [line.strip() for line in bare]
    lines = [line for line in lines if line]
    for line in lines:
        if any(word in line.lower() for word in _USEFUL):
            return line[:300]
    return lines[-1][:300] if lines else ""
