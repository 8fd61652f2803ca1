"""Prove a file before it is delivered: it decodes to the end, and holds what the input held.

Three looks, each cheaper than the encode it checks: the packets' timestamps (a listing, no
decoding) give the frame count and the last frame's time; a decode of every picture and sound
to nowhere (``-xerror``: the first error stops it; no deblocking, which cannot fail) shows it
plays (a split job's: each segment where it was encoded, then the joined file across its
seams); the header shows the streams.
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import pairwise
from pathlib import Path

from app.media.command import step_head
from app.media.fence import input_args
from app.media.formats import MP4, Container
from app.media.probe import MediaInfo
from app.media.quality import span_inputs
from app.media.segments import seek_tolerance
from app.media.streams import kept_subtitles

FRAME_SLACK = 1  # frames the delivered file may differ by (a duplicate timestamp dropped)
# Its length may differ by two frames or this, whichever is more: the container's duration is its
# longest stream's, and a re-encoded AAC track ends up to two of its frames (~46 ms) off.
DURATION_SLACK_SECONDS = 0.1
SEAM_SECONDS = 1.0  # decoded on each side of a seam of a split job's joined file ...
SEAM_LEAD = 0.1  # ... from a keyframe each segment starts this much before its last SEAM_SECONDS
# The check's decoders skip the in-loop deblocking filter: smoothing the decoded picture never
# fails, every error is met reading the bitstream before it, and it is a fifth of an H.264
# decode's CPU (a 30 s 1080p segment: 5.5 s for the check where it took 7.0 s).
WITHOUT_LOOP_FILTER = ("-skip_loop_filter:v", "all")


def decode_command(ffmpeg: str, path: str | Path, seams: Sequence[float] | None = None) -> list[str]:
    """Decode the picture and every sound of ``path`` to nowhere, stopping at the first error.

    ``seams``: where a split job's segments meet in ``path``, each segment having decoded whole
    where it was encoded: the picture is decoded only across each seam (SEAM_SECONDS either
    side), the rest being copies of those segments; the sound, encoded once, still whole.
    The picture is decoded WITHOUT_LOOP_FILTER.
    """
    cmd = [*step_head(ffmpeg), "-xerror", *WITHOUT_LOOP_FILTER, *input_args(path)]
    if seams is None:
        return [*cmd, "-map", "0:v:0", "-map", "0:a?", "-f", "null", "-"]
    windows = [(max(seam - SEAM_SECONDS, 0.0), 2 * SEAM_SECONDS) for seam in seams]
    maps = ["-map", "0:a?", *(arg for index in range(len(windows)) for arg in ("-map", f"{index + 1}:v:0"))]
    return [*cmd, *span_inputs(path, windows, WITHOUT_LOOP_FILTER), *maps, "-f", "null", "-"]


def seam_keyframe(duration: float) -> float:
    """Where a segment of ``duration`` starts a keyframe (``command.keyframes_at``) so that its
    seam's check (``decode_command``) decodes almost nothing before its window: a little early,
    since the keyframe goes to the first frame at or after the time asked."""
    return max(duration - SEAM_SECONDS - SEAM_LEAD, 0.0)


def problems(
    source: MediaInfo,
    source_times: list[float],
    output: MediaInfo,
    output_times: list[float],
    container: Container = MP4,
) -> list[str]:
    """What is wrong with the delivered file, in words a person understands; empty: nothing."""
    found: list[str] = []
    if abs(len(output_times) - len(source_times)) > FRAME_SLACK:
        found.append(f"it holds {len(output_times)} frames where the video has {len(source_times)}")
    frame = _frame_seconds(source_times)
    if source.duration_seconds and output.duration_seconds:
        off = abs(output.duration_seconds - source.duration_seconds)
        if off > max(2 * frame, DURATION_SLACK_SECONDS):
            lasts, should = output.duration_seconds, source.duration_seconds
            found.append(f"it lasts {lasts:.2f} s where the video lasts {should:.2f} s")
    if output.audio_tracks != source.audio_tracks:
        found.append(f"it has {output.audio_tracks} audio tracks where the video has {source.audio_tracks}")
    subtitles = len(kept_subtitles(source, container))
    if len(output.subtitles) != subtitles:
        found.append(f"it has {len(output.subtitles)} subtitle tracks, not {subtitles}")
    return found


def segment_problems(times: list[float], frames: int, duration: float) -> list[str]:
    """What is wrong with an encoded segment's frames (``times``: its listing), planned as
    ``frames`` frames lasting ``duration``; empty: nothing. Its encode stops after its frame
    count, so a frame its decode lost (a damaged input), or whose time went back (ffmpeg
    rebuilding its filters mid-segment), is made up from the next segment's first frames: the
    joined file would hold them twice, its own lost, and still as many frames as the input."""
    found: list[str] = []
    if len(times) < frames - FRAME_SLACK:
        found.append(f"it holds {len(times)} frames where its part of the video has {frames}")
    if times:
        end = times[0] + duration - seek_tolerance(times)
        beyond = sum(1 for time in times if time >= end)
        if beyond > FRAME_SLACK:
            found.append(f"it holds {beyond} frames from after its end ({duration:.2f} s)")
    return found


def _frame_seconds(times: list[float]) -> float:
    """The longest gap between two frames (a variable frame rate's slowest), 0 with one frame."""
    return max((b - a for a, b in pairwise(times)), default=0.0)
