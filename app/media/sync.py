"""Where a file's picture starts against its sound, so that a file made of parts keeps them so.

An encode that reads the picture and the sound together keeps the picture as long after the
sound as it was (a phone's video may start a few frames after its sound, a broadcast
recording's a second after). A file put together from parts encoded apart (a split job's
segments and its audio; a target size's video and audio) starts each part at zero: one of them
is started that much later (``command.delay_args``).
"""

from __future__ import annotations

import math
import re
from pathlib import Path

from app.media.command import step_head
from app.media.fence import input_args

FIRST_FRAME_LIMIT = 10.0  # seconds read to find a stream's first frame (past it: none, no delay)
_TIMEBASE = re.compile(r"^#tb 0: (\d+)/(\d+)", re.MULTILINE)
_FIRST_PTS = re.compile(r"^0,\s*-?\d+,\s*(-?\d+),", re.MULTILINE)


def first_frames_command(ffmpeg: str, source: str | Path, picture: Path, sound: Path) -> list[str]:
    """Decodes the first picture and the first sound of ``source``, as an encode reading both
    reads them, each into a framecrc listing of its own (each stops at its own first frame)."""
    within = ["-t", f"{FIRST_FRAME_LIMIT:g}", "-f", "framecrc"]
    cmd = [*step_head(ffmpeg), *input_args(source), "-map", "0:v:0", "-frames:v", "1", *within, str(picture)]
    return [*cmd, "-map", "0:a:0", "-frames:a", "1", *within, str(sound)]


def read_first_time(listing: str) -> float | None:
    """When the first frame of a one-stream framecrc listing is shown; None: it holds none."""
    base, first = _TIMEBASE.search(listing), _FIRST_PTS.search(listing)
    if base is None or first is None:
        return None
    return int(first[1]) * int(base[1]) / int(base[2])


def picture_delay(picture: float, sound: float, start: float = 0.0, end: float = math.inf) -> float:
    """How much later the picture starts than the sound (negative: the sound later) in the part
    from ``start`` to ``end`` (a trim's; the picture and sound start at ``picture`` and ``sound``
    on the same timeline): what precedes ``start`` is cut from both, and a sound that starts
    only after ``end`` is silence from ``start`` in that part (``command.SPAN_FILLED``)."""
    if sound >= end:
        sound = start
    return round(max(picture - start, 0.0) - max(sound - start, 0.0), 6)
