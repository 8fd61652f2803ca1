"""A target size shared out over a split job's segments, the way a two-pass encode shares it.

Before the fan-out the coordinator makes a quick constant-quality encode of a small copy
(``difficulty_command``), and each segment gets the share of the video's bits its frames took
there. When the segments together come out over the budget, those over their share are
encoded again, lower (at most MAX_FITS rounds), before the join.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

from app.jobs import queue
from app.jobs import segments as claims
from app.jobs.models import SegmentRecord
from app.media import MediaInfo, Options
from app.media.segments import (
    Segment,
    difficulty_command,
    read_frame_sizes,
    segment_weights,
)
from app.media.sizing import (
    CONTAINER_BYTES,
    CONTAINER_SHARE,
    audio_kbps,
    corrected_bitrate,
    preset_audio_kbps,
    split_bitrates,
    too_small,
    video_bitrate,
)
from app.units import MB
from app.work.encode import MAX_FITS
from app.work.failures import JobFailed
from app.work.segment_encode import Context
from app.work.steps import Steps, ffmpeg_path

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Budget:
    """A target size shared out over a split job's segments."""

    target_bytes: float
    duration: float
    audio_kbps: int | None  # each track's; None: no audio
    preset_kbps: int = 0  # the audio's rate without a target (``preset_audio_kbps``)

    @classmethod
    def of(cls, info: MediaInfo, options: Options) -> Budget | None:
        if options.target_size_mb is None or not info.duration_seconds:
            return None
        target = options.target_size_mb * MB
        preset_kbps = preset_audio_kbps(options.preset, info.audio_kbps)
        kbps = audio_kbps(target, info.duration_seconds, preset_kbps, info.audio_tracks)
        return cls(target, info.duration_seconds, kbps if info.has_audio else None, preset_kbps)

    def video_bytes(self, audio_bytes: int) -> float:
        """What the video may take beside ``audio_bytes`` (the container's share off too)."""
        return self.target_bytes * CONTAINER_SHARE - audio_bytes - CONTAINER_BYTES

    def shared(self, context: Context, planned: list[Segment], steps: Steps) -> list[int]:
        """Each segment's video bitrate: the budget shared by how hard each one is to encode."""
        tracks = context.info.audio_tracks
        audio = (self.audio_kbps or 0) * 1000 // 8 * max(tracks, 1) * self.duration
        bitrate = video_bitrate(self.target_bytes, int(audio), self.duration)
        if bitrate is None:
            message = too_small(self.target_bytes / MB, self.duration, self.preset_kbps, tracks)
            raise JobFailed("target_too_small", message)
        listing = context.folder / "difficulty.crc"
        cmd = difficulty_command(ffmpeg_path(), context.source, context.vf, listing, context.info.trim)
        steps.run(cmd, self.duration, steps.here())
        weights = segment_weights(read_frame_sizes(listing.read_text()), planned)
        log.info("job %s: segment weights %s", context.job_id, [round(w) for w in weights])
        return split_bitrates(bitrate, weights, [segment.duration for segment in planned])

    def refit(
        self, job_id: str, rows: list[SegmentRecord], audio: Path | None, refits: int, attempt: str
    ) -> bool:
        """When the segments together pass the video's budget, encode those over their share
        again, lower (their helpers named for the job's ``attempt``): True if some were sent
        back. After MAX_FITS rounds the job fails."""
        allowed = self.video_bytes(audio.stat().st_size if audio else 0)
        sizes = [(row.result or {}).get("size_bytes") or 0 for row in rows]
        if sum(sizes) <= allowed:
            return False
        if refits >= MAX_FITS:
            raise JobFailed(
                "target_unreachable", f"the video did not fit under {self.target_bytes / MB:g} MB; allow more"
            )
        planned = sum((row.bitrate or 0) * row.duration for row in rows) or 1.0
        redone = 0
        for row, size in zip(rows, sizes, strict=True):
            share = allowed * (row.bitrate or 0) * row.duration / planned
            if size > share:
                claims.redo(job_id, row.number, corrected_bitrate(row.bitrate or 0, size, share, 0))
                redone += 1
        log.info("job %s: %d segments over their share of %d bytes, again", job_id, redone, allowed)
        queue.enqueue_helpers(job_id, max(redone - 1, 0), f"{attempt}-fit{refits + 1}")
        return True
