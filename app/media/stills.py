"""Still frames of a video as JPEG: a poster for the job table, and the two compare frames.

Each still is one fenced ffmpeg run (``app.media.fence``): seek to a moment, pass the
picture through the same filter chain as the encode (``vf``: rotation, tone-mapping,
scaling), and write one frame. The poster is the most typical frame of a short window
(ffmpeg's ``thumbnail`` filter) about a third of the way in, at most POSTER_HEIGHT tall.
The compare frames are the same moment of the original and of the result, the original
scaled to the result's size, so the two line up pixel for pixel. A JPEG is SDR: the original
passes through an SDR ``vf`` (``picture.video_filter`` without ``hdr``), and a result that kept
its HDR through the same SDR chain.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

from app.media.fence import Limits, input_args
from app.media.picture import video_filter
from app.media.probe import ProbeError, probe
from app.units import MB

DEFAULT_VF = "scale=trunc(iw/2)*2:trunc(ih/2)*2"  # the encode's chain when nothing else applies
POSTER_HEIGHT = 360  # a thumbnail: never taller, never scaled up
POSTER_QUALITY = 4  # mjpeg's -q:v, 2 (best) to 31
COMPARE_QUALITY = 2  # the compare frames are looked at closely
POSTER_WINDOW_FRAMES = 25  # the thumbnail filter picks the most typical frame among these
MOMENT_SHARE = 1 / 3  # the first frames are often black or a title; a third in is the video
STILL_TIMEOUT_SECONDS = 60
# One frame needs little: a seek decodes at most a group of pictures; no still is 32 MB.
STILL_LIMITS = Limits(cpu_seconds=STILL_TIMEOUT_SECONDS, memory_bytes=2 * 1024**3, file_bytes=32 * MB)
JPEG = "format=yuvj420p"  # full-range 4:2:0, what every JPEG decoder reads


class StillError(Exception):
    """No still could be made; the message says why (for the log, never for the job)."""


def representative_moment(duration_seconds: float | None) -> float:
    """The moment stills are taken at: a third of the way in (the start when the length is unknown)."""
    return round(max(duration_seconds or 0.0, 0.0) * MOMENT_SHARE, 3)


def poster(
    ffmpeg: str,
    source: str | Path,
    target: Path,
    duration_seconds: float | None,
    vf: str = DEFAULT_VF,
    limits: Limits = STILL_LIMITS,
    start: float = 0.0,
) -> Path:
    """Write the poster of ``source`` to ``target`` (a JPEG at most POSTER_HEIGHT tall); the
    video is the ``duration_seconds`` of ``source`` from ``start`` (a trim)."""
    shrink = f"scale=-2:'min(ih,{POSTER_HEIGHT})'"  # before the window: it holds small frames
    chain = f"{vf},{shrink},thumbnail={POSTER_WINDOW_FRAMES},{JPEG}"
    moment = start + representative_moment(duration_seconds)
    return grab(ffmpeg, source, target, moment, chain, POSTER_QUALITY, limits, start)


def compare_frames(
    ffmpeg: str,
    original: str | Path,
    result: str | Path,
    folder: Path,
    duration_seconds: float | None,
    vf: str = DEFAULT_VF,
    limits: Limits = STILL_LIMITS,
    start: float = 0.0,
) -> tuple[Path, Path]:
    """The same moment of the original (through ``vf``, at the result's size) and of the result,
    as ``original.jpg`` and ``result.jpg`` in ``folder``; the result begins ``start`` seconds
    into the original (a trim)."""
    try:
        size = probe(ffmpeg, result)
    except ProbeError as exc:
        raise StillError(f"the result cannot be read: {exc}") from exc
    moment = representative_moment(duration_seconds)
    shown_width, shown_height = size.shown_size  # square pixels in a JPEG: an anamorphic picture widened
    fit = f"scale={shown_width}:{shown_height}:flags=lanczos,setsar=1"
    first = grab(
        ffmpeg, original, folder / "original.jpg", start + moment, f"{vf},{fit},{JPEG}", COMPARE_QUALITY,
        limits, start,
    )  # fmt: skip
    # A result that kept its HDR is tone-mapped as the original was (the same SDR chain), at its size.
    if size.hdr:
        shown = f"{video_filter(size, None)},{fit},{JPEG}"
    else:  # square pixels already, or widened as the original was
        shown = f"{'setsar=1' if size.pixel_aspect == 1.0 else fit},{JPEG}"
    second = grab(ffmpeg, result, folder / "result.jpg", moment, shown, COMPARE_QUALITY, limits)
    return first, second


def grab(
    ffmpeg: str,
    source: str | Path,
    target: Path,
    moment: float,
    chain: str,
    quality: int,
    limits: Limits = STILL_LIMITS,
    fallback: float = 0.0,
) -> Path:
    """One JPEG of the first frame at or after ``moment`` through ``chain``; from ``fallback``
    if ``moment`` is past the last frame (a duration in the header can be longer than the video)."""
    for start in dict.fromkeys((moment, fallback)):
        target.unlink(missing_ok=True)
        _run(_command(ffmpeg, source, target, start, chain, quality), limits)
        if target.is_file() and target.stat().st_size > 0:
            return target
    raise StillError(f"ffmpeg wrote no frame of {Path(source).name}")


def _command(
    ffmpeg: str, source: str | Path, target: Path, start: float, chain: str, quality: int
) -> list[str]:
    cmd = [ffmpeg, "-hide_banner", "-nostdin", "-loglevel", "error", "-y"]
    cmd += ["-ss", f"{start:.3f}", *input_args(source)]  # an accurate seek: the frame at `start`
    cmd += ["-map", "0:v:0", "-an", "-sn", "-dn", "-map_metadata", "-1", "-vf", chain]
    cmd += ["-frames:v", "1", "-q:v", str(quality), "-f", "image2", "-update", "1", str(target)]
    return cmd


def _run(cmd: list[str], limits: Limits) -> None:
    try:
        done = subprocess.run(
            cmd, capture_output=True, timeout=STILL_TIMEOUT_SECONDS, check=False, preexec_fn=limits.preexec()
        )
    except subprocess.TimeoutExpired as exc:
        raise StillError(f"taking a still took longer than {STILL_TIMEOUT_SECONDS} s") from exc
    if done.returncode != 0:
        said = done.stderr.decode("utf-8", "replace").strip().splitlines()
        raise StillError(f"ffmpeg could not take a still: {said[-1] if said else done.returncode}")
