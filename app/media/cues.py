"""A trim's timed text: its subtitle cues and its chapters, timed from its start, cut at its ends.

ffmpeg moves text subtitles wrongly across a seek: read from ``-ss 1`` (input or output side,
with or without ``-itsoffset``), a cue at 2.0 s came out at 1.5 s or 0 s and one before the
trim at -1.5 s; and it keeps chapters where they were in the whole file. Either made a trimmed
file last longer than its picture, which then failed its check. So a trimmed encode reads them
from files of its own (``command.cues_command`` writes them from the whole input: each text
subtitle track as ASS, ffmpeg's common form for text subtitles, styles kept; the chapters as
FFMETADATA), their times moved and cut here, muxed as the input's were (``streams.kept``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from app.media.trim import Trim

# An ASS event's start and end (H:MM:SS.cc), the fields around them kept as they are.
_TIME = r"(\d+):(\d{2}):(\d{2}(?:\.\d+)?)"
_EVENT = re.compile(rf"^(Dialogue:\s*[^,]*,){_TIME},{_TIME},(.*)$")
_CHAPTER = re.compile(r"^\[CHAPTER\]\s*$")
_FIELD = re.compile(r"^(TIMEBASE|START|END)=(.*)$")


@dataclass(frozen=True)
class Cues:
    """Where a trim's timed text is: one ASS file per text subtitle track kept (in order), and
    its chapters (None: the input has none)."""

    subtitles: tuple[Path, ...] = ()
    chapters: Path | None = None

    @property
    def files(self) -> list[Path]:
        """Every file, as an encode reads them: the subtitles, then the chapters."""
        return [*self.subtitles, *([self.chapters] if self.chapters else [])]


NO_CUES = Cues()


def cut_cues(script: str, trim: Trim) -> str:
    """``script`` (ASS) with the cues ``trim`` keeps, timed from its start and cut at its ends."""
    lines = []
    for line in script.splitlines():
        event = _EVENT.match(line)
        if event is None:
            lines.append(line)
            continue
        head, *times, rest = event.groups()
        kept = _kept(_seconds(*times[:3]), _seconds(*times[3:]), trim)
        if kept is not None:
            lines.append(f"{head}{_clock(kept[0])},{_clock(kept[1])},{rest}")
    return "\n".join(lines) + "\n"


def cut_chapters(metadata: str, trim: Trim) -> str:
    """FFMETADATA with the chapters ``trim`` keeps, timed from its start (the rest of the file's
    metadata is read from the input itself)."""
    chapters: list[list[str]] = []
    for line in metadata.splitlines():
        if _CHAPTER.match(line):
            chapters.append([])
        elif chapters:
            chapters[-1].append(line)
    lines = [";FFMETADATA1"]
    for chapter in chapters:
        fields = {found.group(1): found.group(2) for line in chapter if (found := _FIELD.match(line))}
        num, den = (int(part) for part in fields.get("TIMEBASE", "1/1000").split("/"))
        kept = _kept(int(fields["START"]) * num / den, int(fields["END"]) * num / den, trim)
        if kept is None:
            continue
        start, end = (round(seconds * 1000) for seconds in kept)
        rest = [line for line in chapter if not _FIELD.match(line)]
        lines += ["[CHAPTER]", "TIMEBASE=1/1000", f"START={start}", f"END={end}", *rest]
    return "\n".join(lines) + "\n"


def _kept(start: float, end: float, trim: Trim) -> tuple[float, float] | None:
    """What of ``start`` to ``end`` (seconds in the whole file) ``trim`` keeps, on its timeline."""
    start, end = max(start - trim.start, 0.0), min(end - trim.start, trim.length)
    return (start, end) if end > start else None


def _seconds(hours: str, minutes: str, seconds: str) -> float:
    return int(hours) * 3600 + int(minutes) * 60 + float(seconds)


def _clock(seconds: float) -> str:
    """ASS's H:MM:SS.cc."""
    centiseconds = round(seconds * 100)
    hours, rest = divmod(centiseconds, 360_000)
    minutes, rest = divmod(rest, 6_000)
    return f"{hours}:{minutes:02d}:{rest // 100:02d}.{rest % 100:02d}"
