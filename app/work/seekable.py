"""A copy of the input's video in which every seek lands on the frame asked for, cheaply.

ffmpeg seeks from an index of true keyframes only in some containers (``INDEXED_FORMATS``:
mov/mp4's sample tables, Matroska's cues). In any other (MPEG-TS, FLV, AVI...) it searches for
the time and may start decoding mid-GOP, where an MPEG-TS with B-frames gives another picture
first: a job's scored spans then compared broken pictures (VMAF 31-54 reported for a file that
scores 97 whole) and its retunes chased them, to twice the bytes. So every step that seeks in
such an input (a search's samples, the scored spans, the stills, a split job's segments, a
trimmed encode's picture) reads a copy of its video remuxed into Matroska with cues, its frames
untouched, once that copy is shown to hold the input's frames and its picture. A moment of
silence in the copy starts its timeline where the input's does (at its earliest stream, which
the copy may not hold), so a time names the same frame in both. An encode of the whole video
reads the input itself.
"""

from __future__ import annotations

import logging
from pathlib import Path

from app.media import MediaInfo, ProbeError, probe
from app.media.segments import (
    read_bytes_read,
    same_frames,
    seek_cost_command,
    seek_tolerance,
    seekable_copy_command,
)
from app.work.failures import JobFailed
from app.work.steps import Steps, ffmpeg_path
from app.work.verify import frame_and_keyframe_times

log = logging.getLogger(__name__)

# Containers ffmpeg seeks in from an index of true keyframes, as named by its demuxers.
INDEXED_FORMATS = frozenset({"mov,mp4,m4a,3gp,3g2,mj2", "matroska,webm"})
# A seek to a keyframe in a file's middle counts as cheap when it reads at most this share of
# the file (an mp4: ~1 %; a demuxer that scans for the time reads half of it or more) ...
SEEK_READ_SHARE = 0.25
SEEK_READ_ALLOWANCE = 1 << 20  # ... or at most this many bytes (opening a file reads some): 1 MiB
# What a copy must share with the input to stand in for it: all that decides how its frames
# come out (turned upright, tone-mapped, scaled).
PICTURE_FIELDS = ("width", "height", "video_codec", "rotation", "transfer", "bit_depth", "mastering", "light")
COPY_NAME = "seekable.mkv"


def seeks_exactly(
    info: MediaInfo, times: list[float] | None = None, keyframes: list[float] | None = None
) -> bool:
    """Whether no seek in this input can start mid-GOP: ffmpeg seeks in its container from an
    index of true keyframes, or (given its frame and keyframe ``times``) every frame is a
    keyframe, as in raw video, DV or Motion JPEG."""
    if info.format_name in INDEXED_FORMATS:
        return True
    return times is not None and keyframes is not None and len(keyframes) >= len(times)


def frames_to_seek_in(job_id: str, source: Path, info: MediaInfo, folder: Path, steps: Steps) -> Path | None:
    """Where the steps that seek read the input's frames: None for an input ffmpeg seeks in
    exactly (read it: its container has an index of keyframes, or every frame is one, as in
    raw video, DV or Motion JPEG), else its seekable copy in ``folder`` (None, logged, when no
    copy holds its frames: its seeks are then the demuxer's best)."""
    if seeks_exactly(info):
        return None
    times, keyframes = frame_and_keyframe_times(source, folder, steps)
    if seeks_exactly(info, times, keyframes):
        return None
    copy = seekable_copy(job_id, source, info, times, folder, steps, cheaply=False)
    if copy is None:
        log.warning("job %s: seeks in this %s input may start mid-GOP", job_id, info.format_name)
    return copy


def seekable_copy(
    job_id: str,
    source: Path,
    info: MediaInfo,
    times: list[float],
    folder: Path,
    steps: Steps,
    cheaply: bool = True,
) -> Path | None:
    """A copy of ``source``'s video in ``folder`` in which a seek lands exactly and reads little
    (``seekable_copy_command``: its timeline starting where the input's does). Only a copy that
    holds the input's frames at their ``times``, starts where it does and shows its picture
    (PICTURE_FIELDS) stands in for it, and (when made to be ``cheaply`` read: an input whose
    seeks read much) one whose seeks read little; else None. A copy made for exact seeks need
    not be cheap: a seek in a small file, or in one with a single keyframe, reads it whole, and
    it is still the frames asked for."""
    copy = folder / COPY_NAME
    try:
        command = seekable_copy_command(ffmpeg_path(), source, copy, info.timeline_start)
        steps.run(command, None, steps.here())
        found = frame_and_keyframe_times(copy, folder, steps)
        described = probe(ffmpeg_path(), copy)
    except (JobFailed, ValueError, ProbeError) as exc:  # advice only: the input is always there
        log.warning("job %s: no seekable copy of the input: %s", job_id, exc)
        copy.unlink(missing_ok=True)
        return None
    # An MPEG-TS's picture listed alone is timed from its first frame: compare the frames' spacing,
    # and where the timelines start.
    if not same_frames(times, found[0], from_first=True) or (
        abs(described.timeline_start - info.timeline_start) > seek_tolerance(times)
    ):
        log.info("job %s: no seekable copy holds the input's frames at their times", job_id)
    elif not all(getattr(described, name) == getattr(info, name) for name in PICTURE_FIELDS):
        log.info("job %s: no seekable copy: its picture differs", job_id)
    elif cheaply and not seeks_cheaply(copy, *found, steps):
        log.info("job %s: no seekable copy: its seeks read much", job_id)
    else:
        return copy
    copy.unlink(missing_ok=True)
    return None


def seeks_cheaply(source: Path, times: list[float], keyframes: list[float], steps: Steps) -> bool:
    """Whether a seek to the keyframe nearest the middle of ``source`` (of its frame ``times``:
    a browser's recording says no duration) reads at most SEEK_READ_SHARE of it (or at most
    SEEK_READ_ALLOWANCE). It does where the demuxer seeks from an index (mov/mp4's sample
    tables), and a split job's helpers then read the input in place; where it scans for the
    time instead (Matroska without cues, and some with them), they read a seekable copy."""
    middle = (times[0] + times[-1]) / 2 if times else 0.0
    at = min(keyframes, key=lambda time: abs(time - middle), default=middle) + 0.001
    try:
        run = steps.run(seek_cost_command(ffmpeg_path(), source, at), None, steps.here())
    except JobFailed:  # only advice: a copy is always safe
        return False
    read = read_bytes_read(run.log_tail)
    return read is not None and read <= max(SEEK_READ_SHARE * source.stat().st_size, SEEK_READ_ALLOWANCE)
