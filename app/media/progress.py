"""Turn ffmpeg's ``-progress`` key=value stream into percentages and ETAs."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Progress:
    """One progress report: how much of the media is done, and how long the rest may take."""

    seconds_done: float
    percent: float
    eta_seconds: int | None
    finished: bool
    size_bytes: int = 0  # what ffmpeg has written to the output so far


class ProgressParser:
    """Feed lines of ``-progress`` output; each completed block yields a Progress.

    ``duration_seconds`` is the probed length of the input; without it the percentage
    stays at 0 until the end.
    """

    def __init__(self, duration_seconds: float | None) -> None:
        self.duration = duration_seconds or 0.0
        self._block: dict[str, str] = {}
        self._done = 0.0  # the furthest time reported yet

    def feed(self, line: str) -> Progress | None:
        key, sep, value = line.strip().partition("=")
        if not sep:
            return None
        self._block[key] = value.strip()
        if key != "progress":
            return None
        block, self._block = self._block, {}
        return self._report(block)

    def _report(self, block: dict[str, str]) -> Progress:
        finished = block.get("progress") == "end"
        # Never back: as its encoders flush, ffmpeg's time falls behind (a stream whose packets
        # lag, 2.8 s then 1.1 s) or is N/A for a while.
        done = self._done = max(self._done, _seconds(block.get("out_time_us") or block.get("out_time_ms")))
        if self.duration > 0:
            percent = 100.0 if finished else min(max(done / self.duration * 100, 0.0), 99.9)
        else:
            percent = 100.0 if finished else 0.0
        eta = None
        speed = _speed(block.get("speed"))
        if not finished and speed and self.duration > 0:
            eta = max(round((self.duration - done) / speed), 0)
        return Progress(
            seconds_done=done,
            percent=round(percent, 1),
            eta_seconds=eta,
            finished=finished,
            size_bytes=_count(block.get("total_size")),
        )


def _seconds(micro: str | None) -> float:
    # ffmpeg prints out_time_us and (misnamed, also microseconds) out_time_ms; N/A early on.
    try:
        return max(int(micro or "0"), 0) / 1_000_000
    except ValueError:
        return 0.0


def _speed(raw: str | None) -> float | None:
    try:
        value = float((raw or "").rstrip("x"))
    except ValueError:
        return None
    return value if value > 0 else None


def _count(raw: str | None) -> int:
    try:
        return max(int(raw or "0"), 0)
    except ValueError:
        return 0  # "N/A" before the first packet
