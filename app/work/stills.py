"""The job's stills, made by the worker: the poster (once the input is probed, before the
encode, so a running job has one) and the two compare frames (once the output is made).

A still is a nicety: failing to make or store one is logged and never fails the job.
"""

from __future__ import annotations

import logging
from dataclasses import replace
from pathlib import Path

from flask import current_app

from app.jobs import lifecycle
from app.media import ffmpeg_binary
from app.media.fence import Limits
from app.media.stills import STILL_LIMITS, compare_frames, poster
from app.storage import FRAME_SIDES, frame_key, job_storage, poster_key
from app.units import MB

log = logging.getLogger(__name__)
JPEG_TYPE = "image/jpeg"


def store_poster(
    job_id: str, source: Path, duration: float | None, vf: str, folder: Path, start: float = 0.0
) -> bool:
    """Make the job's poster from ``source`` (the ``duration`` seconds from ``start``) and store
    it; False (logged) when that failed."""
    try:
        made = poster(_ffmpeg(), source, folder / "poster.jpg", duration, vf, _limits(), start)
        job_storage().put(poster_key(job_id), made, content_type=JPEG_TYPE, move=True)
        lifecycle.poster_made(job_id)
    except Exception:  # a still never fails the job, whatever went wrong
        log.warning("job %s: no poster", job_id, exc_info=True)
        return False
    return True


def store_compare_frames(
    job_id: str,
    source: Path,
    output: Path,
    duration: float | None,
    vf: str,
    folder: Path,
    start: float = 0.0,
) -> bool:
    """Make the two compare frames (the same moment of ``source`` and ``output``, which begins
    ``start`` seconds into it) and store them; False (logged) when that failed."""
    try:
        frames_folder = folder / "frames"
        frames_folder.mkdir(exist_ok=True)
        made = compare_frames(_ffmpeg(), source, output, frames_folder, duration, vf, _limits(), start)
        for side, path in zip(FRAME_SIDES, made, strict=True):
            job_storage().put(frame_key(job_id, side), path, content_type=JPEG_TYPE, move=True)
    except Exception:  # a still never fails the job, whatever went wrong
        log.warning("job %s: no compare frames", job_id, exc_info=True)
        return False
    return True


def _ffmpeg() -> str:
    return ffmpeg_binary(current_app.config["FFMPEG_BINARY"])


def _limits() -> Limits:
    """The stills' fence, with the memory an encode may use (a 4K frame needs more than 2 GB of
    address space with a decoder's threads)."""
    return replace(STILL_LIMITS, memory_bytes=current_app.config["FFMPEG_MEMORY_MB"] * MB)
