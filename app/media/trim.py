"""Trim: the part of an input a job keeps, and how ffmpeg reads only that part.

A trim is two times on the input's own timeline. Every run that reads the input for the job
(the encode, the audio, the kept streams, the loudness pass) opens it with the trim's ``-ss``
and ``-t`` before ``-i``: ffmpeg decodes from the keyframe before ``start`` and drops what
precedes it, so the result starts at the first frame at ``start`` whatever the keyframes, and
its timestamps start at zero. Runs that seek on their own (samples, scores, stills) add
``start`` to their times instead.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

# A trim's times are compared with frame times this loosely: a time printed with three
# decimals (``1.04``) still names the frame at 1.0400000001.
TIME_SLACK_SECONDS = 1e-6


@dataclass(frozen=True)
class Trim:
    """From ``start`` to ``end`` seconds of the input (the frames at ``start`` and after, before ``end``)."""

    start: float
    end: float
    total: float | None = None  # the whole video's length (None: not known)

    @property
    def length(self) -> float:
        return self.end - self.start

    @property
    def share(self) -> float:
        """The part of the whole video this keeps, by length (1 when the length is not known)."""
        return min(self.length / self.total, 1.0) if self.total else 1.0

    def input_options(self, origin: float | None = None) -> list[str]:
        """What precedes ``-i`` so that ffmpeg reads only this part.

        ``origin``: where the input's timeline starts, when another file is read in its place
        that holds its frames at the same timestamps (a seekable copy of its video, whose own
        timeline starts where its earliest stream does: maybe later): that file is read from
        the same timestamp, and its frames timed from ``origin``, as the input's would be."""
        if origin is None:
            return ["-ss", f"{self.start:.6f}", "-t", f"{self.length:.6f}"]
        at = ["-seek_timestamp", "1", "-ss", f"{origin + self.start:.6f}"]
        return [*at, "-t", f"{self.length:.6f}"]

    def from_showing_frame(self, times: list[float]) -> Trim:
        """This trim, started at the frame on screen at ``start`` (``times``: the input's frames,
        in order) when ``start`` falls between two: ffmpeg's ``-ss`` drops a frame that began
        before it, and each stream then starts with the picture (its sound up to a frame sooner)."""
        showing = max((time for time in times if time <= self.start + TIME_SLACK_SECONDS), default=None)
        if showing is None or showing >= self.start - TIME_SLACK_SECONDS:
            return self
        return replace(self, start=showing)

    def picture_end(self, times: list[float]) -> float | None:
        """Where the picture ends (``times``: the input's frames, in order; its last frame lasts as
        long as the one before it) when this trim starts at or after it, else None."""
        if len(times) < 2:
            return None
        end = times[-1] + (times[-1] - times[-2])
        return end if self.start >= end - TIME_SLACK_SECONDS else None

    def kept_frames(self, times: list[float]) -> list[float]:
        """The frames (at ``times`` of the input, in order) this keeps: those on screen at any
        moment from ``start`` to ``end``, so a start between two frames keeps the one showing."""
        following = [*times[1:], float("inf")]
        return [
            time
            for time, after in zip(times, following, strict=True)
            if time < self.end - TIME_SLACK_SECONDS and after > self.start + TIME_SLACK_SECONDS
        ]


def trim_problems(start: float | None, end: float | None) -> list[tuple[str, str]]:
    """What is wrong with a trim whatever the video, as (field, message) pairs for a person;
    empty when it is fine or there is none."""
    found: list[tuple[str, str]] = []
    if start is not None and start < 0:
        found.append(("start_seconds", "must be 0 or more"))
    if end is not None and end <= 0:
        found.append(("end_seconds", "must be more than 0"))
    if found:
        return found
    if start is not None and end is not None and end <= start:
        return [("end_seconds", f"must be after start_seconds ({start:g}): the trim would be empty")]
    return []


def range_problems(start: float | None, end: float | None, duration: float | None) -> list[tuple[str, str]]:
    """What is wrong with a trim of a video ``duration`` seconds long (None: its length cannot
    be read), as (field, message) pairs; empty when it is fine or there is none."""
    found = trim_problems(start, end)
    if found or (start is None and end is None):
        return found
    if duration is None:
        field = "start_seconds" if start is not None else "end_seconds"
        return [(field, "cannot be applied: the length of this video cannot be read")]
    if start is not None and start >= duration:
        return [("start_seconds", f"must be before the end of the video ({duration:.3f} s)")]
    if end is not None and end > duration + TIME_SLACK_SECONDS:
        return [("end_seconds", f"must be at most the length of the video ({duration:.3f} s)")]
    return []


def trim_of(start: float | None, end: float | None, duration: float | None) -> Trim | None:
    """The trim a job asked for, over a video ``duration`` seconds long; None: the whole video.
    (Checked with ``range_problems`` first: a trim needs the video's length.)"""
    if (start is None and end is None) or duration is None:
        return None
    return Trim(start or 0.0, min(end if end is not None else duration, duration), duration)
