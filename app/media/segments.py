"""Cut a long video into segments that encode apart and join without a seam.

Nothing is cut ahead of time: each segment's encode reads the input itself, seeking to just
before its first frame (ffmpeg decodes from the keyframe before and drops what precedes the
seek point, so a segment may start at any frame, however far apart the input's keyframes
are) and stopping after exactly its frame count. A segment's first frame is chosen from the
input's own presentation times (read from the packets, no decoding), and the seek point is
half-way between it and the frame before, so rounding can never take or leave a frame.

The join copies the segments' video one after another (each starts with a keyframe of its
own, and carries its parameter sets in-band, since its CRF is its own) and lays the audio,
encoded once for the whole file, beside it: no gap and no click at a join. Each segment's
place on the timeline is the input's own (``duration`` lines of the concat list), so a
variable frame rate keeps its timing.
"""

from __future__ import annotations

import itertools
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from app.media.command import Rate, delay_args, keyframes_at, step_head, video_args
from app.media.fence import input_args
from app.media.picture import Hdr
from app.media.trim import Trim

SEGMENT_SECONDS = 30.0  # the nominal length of one segment (SEGMENT_SECONDS)
SEGMENT_MIN_SECONDS = 60.0  # videos shorter than this are encoded in one piece (SEGMENT_MIN_SECONDS)
# Headers in every keyframe: each segment's own parameter sets (x264's PPS carries the CRF's
# initial QP) reach the decoder after a join.
IN_BAND_HEADERS = {"h264": ["-x264-params", "repeat-headers=1"], "h265": [], "av1": []}
_TIMEBASE = re.compile(r"^#tb 0: (\d+)/(\d+)", re.MULTILINE)
_BYTES_READ = re.compile(r"Statistics: (\d+) bytes read")
# A packet's timestamps, and its flags where they are not a keyframe's alone (F=0x4: discarded).
_PACKET = re.compile(r"^0,\s*(-?\d+),\s*(-?\d+),(?:[^\n]*?\bF=0x([0-9a-fA-F]+))?[^\n]*$", re.MULTILINE)
DISCARD_FLAG = 0x4  # AV_PKT_FLAG_DISCARD: decoded, never shown (an edit list's lead-in before its start)
_KEYFRAME = re.compile(r"^0,\s*-?\d+,\s*(-?\d+),[^\n]*$", re.MULTILINE)  # no F=: a keyframe (flag 1)
_PACKET_SIZE = re.compile(r"^0,\s*-?\d+,\s*(-?\d+),\s*\d+,\s*(\d+),", re.MULTILINE)
# How hard each part of a video is to encode, for a target size split in segments: the bytes
# each frame takes in a quick constant-quality encode of a small copy (x264 ultrafast, no
# B-frames: one packet per frame in display order). Bits are shared like a two-pass encode
# shares them, by what each stretch costs at one quality.
DIFFICULTY_HEIGHT = 360
DIFFICULTY_CRF = 26


@dataclass(frozen=True)
class Segment:
    """One piece of the video: frames ``first_frame`` .. ``first_frame + frames`` of the input.

    ``start`` is the first frame's time, ``duration`` the time until the next segment's first
    frame (the last one's: until the end of the video), ``seek`` where its encode seeks to.
    """

    number: int
    first_frame: int
    frames: int
    start: float
    duration: float
    seek: float

    def time_range(self) -> str:
        """How a person reads where this segment lies: ``1:30-2:00``."""
        return f"{_clock(self.start)}-{_clock(self.start + self.duration)}"


def _clock(seconds: float) -> str:
    minutes, rest = divmod(round(seconds), 60)
    return f"{minutes}:{rest:02d}"


def should_split(duration: float | None, min_seconds: float, segment_seconds: float) -> bool:
    """Whether a video is long enough to be encoded in segments (at least two of them)."""
    return duration is not None and duration >= max(min_seconds, 2 * segment_seconds)


def keyframes_for(segment: Segment, keyframes: Sequence[float]) -> list[float]:
    """Of the input's ``keyframes``, those a seek within ``segment`` starts from: the last one
    at or before its seek, then every one up to its end (on the input's timeline)."""
    end = segment.start + segment.duration
    before = [time for time in keyframes if time <= segment.seek]
    return [*before[-1:], *(time for time in keyframes if segment.seek < time < end)]


def seek_cost_command(ffmpeg: str, source: str | Path, at: float) -> list[str]:
    """Reads 0.1 s of ``source`` at ``at`` (copied, not decoded); its log ends with how many
    bytes that took (``read_bytes_read``): little where the file seeks from an index (mov/mp4's
    sample tables, Matroska's cues), all that comes before ``at`` where it has none."""
    cmd = [*step_head(ffmpeg, loglevel="verbose"), "-ss", f"{at:.3f}", "-t", "0.1", *input_args(source)]
    return [*cmd, "-map", "0:v:0", "-c", "copy", "-f", "null", "-"]


def seekable_copy_command(ffmpeg: str, source: str | Path, target: Path, origin: float = 0.0) -> list[str]:
    """Copies the first video stream of ``source`` (not decoded; every timestamp kept) into a
    Matroska file with cues, where a seek reads little whatever the input was (one written to a
    pipe, as a browser records, has none), beside a moment of silence at ``origin``: where the
    input's timeline starts (its earliest stream: the sound, or a data stream the copy cannot
    hold). A file's timeline starts at its earliest stream, so the copy's starts there too and a
    time names the same frame in both, as the encode and a trim count it. (Matroska holds no
    time before 0: an input starting before it gets its marker at 0, a frame's fraction off.)"""
    cmd = [*step_head(ffmpeg), "-copyts", *GENERATED_PTS, *input_args(source)]
    cmd += ["-itsoffset", f"{max(origin, 0.0):.6f}", "-f", "lavfi", "-t", f"{MARKER_SECONDS:g}", "-i", MARKER]
    cmd += ["-map", "0:v:0", "-map", "1:a", "-c:v", "copy", "-c:a", "pcm_s16le"]
    return [*cmd, "-f", "matroska", str(target)]


def seek_tolerance(times: Sequence[float]) -> float:
    """How far two times may lie apart and still name the same frame of these (a video's frame
    ``times``): a quarter of the shortest gap between them, so a seek half-way between two
    frames of one file falls between the same two of the other."""
    gaps = [after - before for before, after in itertools.pairwise(times) if after > before]
    return min(gaps, default=1.0) / 4


def same_frames(times: Sequence[float], others: Sequence[float], from_first: bool = False) -> bool:
    """Whether two listings of frame times hold the same frames at the same times: each within
    ``seek_tolerance`` (a copy's times may be rounded to its time base).

    ``from_first``: each timed from its own first frame. An MPEG-TS's picture listed alone is
    timed from its first frame, and its copy from where its timeline starts (at the input's),
    as the input is whenever its sound is read too (the encode, the trim)."""
    if len(times) != len(others):
        return False
    if from_first and times:
        times, others = [time - times[0] for time in times], [other - others[0] for other in others]
    tolerance = seek_tolerance(times)
    return all(abs(time - other) <= tolerance for time, other in zip(times, others, strict=True))


def read_bytes_read(log: str) -> int | None:
    """The bytes ffmpeg read from its input, from a verbose log's I/O statistics."""
    found = _BYTES_READ.findall(log)
    return int(found[-1]) if found else None


# A container that stores only decoding times (AVI, raw H.264: packets without a presentation
# time once B-frames reorder them) gets each packet's presentation time from its parser, so a
# listing tells when each frame is shown and Matroska takes the packets (it refuses them untimed).
GENERATED_PTS = ["-fflags", "+genpts"]
# What marks where a seekable copy's timeline starts (``seekable_copy_command``): a moment of
# silence, the cheapest stream Matroska holds.
MARKER = "anullsrc=r=8000:cl=mono"
MARKER_SECONDS = 0.04


def frame_times_command(
    ffmpeg: str, source: str | Path, listing: Path, packets: int | None = None
) -> list[str]:
    """Lists the first video stream's packets (timestamps in its time base; the first
    ``packets`` of them, or all) into ``listing``, without decoding."""
    cmd = [*step_head(ffmpeg), *GENERATED_PTS, *input_args(source), "-map", "0:v:0", "-c", "copy"]
    if packets is not None:
        cmd += ["-frames:v", str(packets)]
    return [*cmd, "-f", "framecrc", str(listing)]


def read_frame_times(listing: str) -> list[float]:
    """Every shown frame's presentation time in seconds, in display order, from a framecrc
    listing: not the packets an edit list keeps only to decode from (a copy cut between keyframes)."""
    base = _TIMEBASE.search(listing)
    if base is None:
        raise ValueError("no time base in the frame listing")
    num, den = int(base[1]), int(base[2])
    shown = (pts for _dts, pts, flags in _PACKET.findall(listing) if not int(flags or "0", 16) & DISCARD_FLAG)
    return sorted(int(pts) * num / den for pts in shown)


def read_keyframe_times(listing: str) -> list[float]:
    """The times of the keyframes (where a decoder may start) in a framecrc listing: its packets
    whose flags are the default (a keyframe's), which framecrc leaves unwritten."""
    base = _TIMEBASE.search(listing)
    if base is None:
        raise ValueError("no time base in the frame listing")
    num, den = int(base[1]), int(base[2])
    found = (match for match in _KEYFRAME.finditer(listing) if "F=" not in match[0])
    return sorted(int(match[1]) * num / den for match in found)


def difficulty_command(
    ffmpeg: str, source: str | Path, vf: str, listing: Path, trim: Trim | None = None
) -> list[str]:
    """A quick constant-quality encode of a small copy of the video (``trim``: the part kept),
    every packet's size listed into ``listing`` (framecrc): how hard each stretch is to encode."""
    small = f"{vf},scale=w=-2:h='min(ih\\,{DIFFICULTY_HEIGHT})',format=yuv420p"
    cmd = [*step_head(ffmpeg), *input_args(source, trim), "-map", "0:v:0", "-vf", small]
    cmd += ["-c:v", "libx264", "-preset", "ultrafast", "-crf", str(DIFFICULTY_CRF)]
    return [*cmd, "-f", "framecrc", str(listing)]


def read_frame_sizes(listing: str) -> list[int]:
    """Every frame's encoded size in bytes, in display order, from a framecrc listing."""
    packets = sorted((int(pts), int(size)) for pts, size in _PACKET_SIZE.findall(listing))
    return [size for _pts, size in packets]


def segment_weights(frame_sizes: list[int], segments: list[Segment]) -> list[float]:
    """How hard each segment is: the bytes its frames took in the difficulty encode.

    A frame of the listing is placed by its share of the way through the video, so a listing
    a frame or two longer or shorter than the plan (a variable frame rate) still lines up.
    """
    total = sum(segment.frames for segment in segments)
    weights = [0.0] * len(segments)
    if not frame_sizes or not total:
        return [float(segment.duration) for segment in segments]
    ends = [segment.first_frame - segments[0].first_frame + segment.frames for segment in segments]
    number = 0
    for index, size in enumerate(frame_sizes):
        frame = index * total / len(frame_sizes)
        while number < len(segments) - 1 and frame >= ends[number]:
            number += 1
        weights[number] += size
    return [weight or 1.0 for weight in weights]


def plan(
    times: list[float], duration: float, segment_seconds: float, before: float | None = None
) -> list[Segment]:
    """Segments of about ``segment_seconds``, each starting at the frame nearest its nominal point.

    ``duration`` is where the video ends (its last frame lasts until then); the last segment
    takes what is left, and one shorter than half a segment is folded into the one before.
    ``before``: the time of the frame before ``times[0]`` when the video is part of a longer
    one (a trim); the first segment seeks between the two.
    """
    if not times:
        return []
    count = max(1, round((times[-1] - times[0]) / segment_seconds))
    firsts = [0]
    for index in range(1, count):
        nominal = times[0] + index * segment_seconds
        nearest = min(range(firsts[-1] + 1, len(times)), key=lambda k: abs(times[k] - nominal), default=None)
        if nearest is None:
            break
        firsts.append(nearest)
    end = max(duration, times[-1])
    segments = []
    for number, first in enumerate(firsts):
        following = firsts[number + 1] if number + 1 < len(firsts) else len(times)
        stop = times[following] if following < len(times) else end
        previous = times[first - 1] if first else before
        seek = 0.0 if previous is None else (previous + times[first]) / 2
        segments.append(
            Segment(number, first, following - first, times[first], round(stop - times[first], 6), seek)
        )
    return segments


def segment_command(
    ffmpeg: str,
    source: str | Path,
    target: str | Path,
    segment: Segment,
    vf: str,
    codec: str,
    rate: Rate,
    hdr: Hdr | None = None,
    keyframes: Sequence[float] = (),
) -> list[str]:
    """Encode one segment's frames (no audio) at ``rate`` (a CRF, a bitrate, one pass of two)
    into an mp4 whose timeline starts at 0; ``hdr``: the HDR the picture keeps (``vf`` made it
    so); ``keyframes``: times (on the segment's timeline) that start a keyframe."""
    cmd = [*step_head(ffmpeg)]
    if segment.seek > 0:
        cmd += ["-ss", f"{segment.seek:.6f}"]
    cmd += [*input_args(source), "-map", "0:v:0", "-an", "-sn", "-dn", "-map_metadata", "-1"]
    cmd += ["-vf", f"{vf},setpts=PTS-STARTPTS", "-frames:v", str(segment.frames)]
    cmd += [*video_args(codec, rate, hdr), *keyframes_at(keyframes), *IN_BAND_HEADERS[codec]]
    return [*cmd, "-f", "mp4", str(target)]


def concat_list(parts: list[tuple[Path, Segment]]) -> str:
    """The concat demuxer's list: each segment file and the time it holds on the input's timeline."""
    lines = ["ffconcat version 1.0"]
    for path, segment in parts:
        lines += [f"file '{path.absolute()}'", f"duration {segment.duration:.6f}"]
    return "\n".join(lines) + "\n"


def join_command(
    ffmpeg: str, listing: Path, mux: list[str], target: Path, video_delay: float = 0.0
) -> list[str]:
    """One file from the segments (copied, in order; starting ``video_delay`` seconds in, where
    the input's picture starts after its sound) and what ``mux`` adds (``mux_args``: the audio,
    copied, and what else the file keeps).

    The list and the segments are this server's own files, not a person's upload: the concat
    demuxer reads them, and only them, from the local disk.
    """
    cmd = [*step_head(ffmpeg), "-protocol_whitelist", "file", "-f", "concat", "-safe", "0"]
    return [*cmd, *delay_args(video_delay), "-i", str(listing), *mux, str(target)]


def span_of(segment: Segment, share: float, seconds: float) -> tuple[float, float]:
    """A window of ``seconds`` at ``share`` of the way through ``segment`` (for scoring)."""
    length = min(seconds, segment.duration)
    start = segment.start + max(segment.duration - length, 0.0) * share
    return (round(start, 3), length)


def weighted(values: list[tuple[float, float]]) -> float:
    """The mean of (value, weight) pairs; nan when there is no weight."""
    total = sum(weight for _, weight in values)
    return sum(value * weight for value, weight in values) / total if total else math.nan
