"""Where the part of the input a job keeps starts its picture against its sound
(``app.media.sync``), read as a step of the attempt."""

from __future__ import annotations

import logging
import math
from pathlib import Path

from app.media import MediaInfo
from app.media.sync import first_frames_command, picture_delay, read_first_time
from app.work.failures import JobFailed
from app.work.steps import Steps, ffmpeg_path

log = logging.getLogger(__name__)


def picture_delay_of(source: Path, info: MediaInfo, folder: Path, steps: Steps) -> float:
    """How much later the picture of the part ``info`` keeps starts than its sound, in
    ``source`` (negative: the sound later); 0 without sound, or when ffmpeg cannot say (logged:
    the parts are then put together as they come)."""
    if not info.has_audio:
        return 0.0
    picture, sound = folder / "first-picture.crc", folder / "first-sound.crc"
    try:
        steps.run(first_frames_command(ffmpeg_path(), source, picture, sound), None, steps.here())
        times = read_first_time(picture.read_text()), read_first_time(sound.read_text())
    except (JobFailed, OSError) as exc:
        log.warning("where the picture starts against the sound was not read: %s", exc)
        return 0.0
    finally:
        picture.unlink(missing_ok=True)
        sound.unlink(missing_ok=True)
    if times[0] is None or times[1] is None:
        return 0.0
    end = info.trim.end if info.trim else math.inf
    return picture_delay(times[0], times[1], info.start_seconds, end)
