"""Check the file a job is about to deliver (``app.media.verify``), as steps of its attempt.

A file that fails is never delivered: the attempt goes back to the queue (another encode), and
after JOB_MAX_ATTEMPTS the job fails ``output_invalid`` with what was wrong.
"""

from __future__ import annotations

from pathlib import Path

from app.media import MediaInfo, probe
from app.media.command import step_head
from app.media.fence import StoreUrl, input_args
from app.media.formats import MP4, Container
from app.media.segments import Segment, frame_times_command, read_frame_times, read_keyframe_times
from app.media.verify import FRAME_SLACK, decode_command, problems, segment_problems
from app.work.failures import OUTPUT_INVALID, Interrupted, JobFailed
from app.work.steps import FFMPEG_FAILED, FFMPEG_FAILED_SAYS, Steps, ffmpeg_path

FIRST_PACKETS = 16  # packets listed to find a file's first frame: more than a GOP's reordering


def frame_times(path: Path, folder: Path, steps: Steps) -> list[float]:
    """Every frame's time in ``path`` (a packet listing: no decoding)."""
    return read_frame_times(_listing(path, folder, steps))


def keyframe_times(path: Path, folder: Path, steps: Steps) -> list[float]:
    """The times of ``path``'s keyframes, where a seek costs no decoding of earlier frames."""
    return read_keyframe_times(_listing(path, folder, steps))


def frame_and_keyframe_times(path: Path, folder: Path, steps: Steps) -> tuple[list[float], list[float]]:
    """``frame_times`` and ``keyframe_times`` from one listing."""
    listing = _listing(path, folder, steps)
    return read_frame_times(listing), read_keyframe_times(listing)


def first_frame_time(path: Path, folder: Path, steps: Steps) -> float | None:
    """When ``path``'s first frame is shown (from its first packets: a GOP's first picture may
    come after others in decoding order); None when it has no video packet."""
    times = read_frame_times(_listing(path, folder, steps, FIRST_PACKETS))
    return times[0] if times else None


def _listing(path: Path, folder: Path, steps: Steps, packets: int | None = None) -> str:
    listing = folder / f"{path.name}.crc"
    steps.run(frame_times_command(ffmpeg_path(), path, listing, packets), None, steps.here())
    try:
        return listing.read_text()
    finally:
        listing.unlink(missing_ok=True)


def verify(
    source: Path,
    info: MediaInfo,
    delivered: Path,
    folder: Path,
    steps: Steps,
    container: Container = MP4,
    seams: list[float] | None = None,
    times: list[float] | None = None,
) -> MediaInfo:
    """Raise Interrupted (``output_invalid``, worth another attempt) unless ``delivered`` decodes
    to its end and holds the input's frames (listed in ``source``, or in its seekable copy),
    length and streams; what its header says.

    ``seams``: where a split job's segments meet, each checked by ``check_segment`` where it
    was encoded: only the picture across them is decoded again. ``times``: the frame times of
    ``source`` when they were listed already."""
    found = _undecodable(delivered, info.duration_seconds, steps, seams)
    if found:
        raise _invalid("the compressed file", found)
    output = probe(ffmpeg_path(), delivered)
    kept = times if times is not None else frame_times(source, folder, steps)
    if info.trim:
        kept = info.trim.kept_frames(kept)
    delivered_times = frame_times(delivered, folder, steps)
    found = problems(info, kept, output, delivered_times, container)
    if found:
        if len(delivered_times) < len(kept) - FRAME_SLACK:  # frames lost: in the encode, or before it?
            _raise_if_damaged(source, steps)
        raise _invalid("the compressed file", found)
    return output


def _raise_if_damaged(source: Path | StoreUrl, steps: Steps, part: Segment | None = None) -> None:
    """Fail the job ``input_damaged`` (no other attempt would fare better) when the input's
    picture (``part`` of it, a split job's segment) does not decode to its end: frames the encode
    lacks were lost reading it (a file damaged in its middle), not in the encode. Only on this
    failing path is the input decoded."""
    span = ["-ss", f"{part.seek:.6f}", "-t", f"{part.duration:.6f}"] if part is not None else []
    cmd = [*step_head(ffmpeg_path()), "-xerror", *span, *input_args(source)]
    cmd += ["-map", "0:v:0", "-f", "null", "-"]
    try:
        steps.run(cmd, None, steps.here())
    except JobFailed as failure:
        if failure.code != FFMPEG_FAILED:
            raise
        said = str(failure).removeprefix(FFMPEG_FAILED_SAYS)
        where = f" in {part.time_range()}" if part is not None else ""
        raise JobFailed(
            "input_damaged",
            f"the video is damaged{where}: some of its frames cannot be decoded (ffmpeg: {said}); "
            "repair it or export it again, then send it again",
        ) from failure


def check_segment(path: Path, segment: Segment, source: Path | StoreUrl, folder: Path, steps: Steps) -> None:
    """Raise Interrupted (``output_invalid``: the segment is encoded again) unless the segment in
    ``path`` decodes to its end and holds its own frames, no fewer and none of the next
    segment's (``segment_problems``); JobFailed ``input_damaged`` when that is because its part
    of the input (read from ``source``) does not decode. Checked where it was encoded, in
    parallel with the others."""
    what = f"the part {segment.time_range()}"
    found = _undecodable(path, segment.duration, steps)
    if found:
        raise _invalid(what, found)
    found = segment_problems(frame_times(path, folder, steps), segment.frames, segment.duration)
    if found:
        _raise_if_damaged(source, steps, segment)
        raise _invalid(what, found)


def _undecodable(
    path: Path, seconds: float | None, steps: Steps, seams: list[float] | None = None
) -> list[str]:
    """What stops ``path`` decoding to its end (``decode_command``): nothing, or one problem."""
    try:
        steps.run(decode_command(ffmpeg_path(), path, seams), seconds, steps.here())
    except JobFailed as failure:
        return [f"it does not decode to its end ({failure})"]
    return []


def _invalid(what: str, found: list[str]) -> Interrupted:
    """The stop (``output_invalid``, worth another attempt) for ``what`` with the problems ``found``."""
    return Interrupted(f"{what} failed its check: " + "; ".join(found), OUTPUT_INVALID, retry=True)
