"""A trim's timed text: cues and chapters timed from the trim's start and cut at its ends."""

from __future__ import annotations

from app.media.cues import cut_chapters, cut_cues
from app.media.trim import Trim

HEAD = "[Events]\nFormat: Layer, Start, End, Style, Name, MarginL, MarginR, MarginV, Effect, Text\n"


def _events(script: str) -> list[str]:
    return [line for line in script.splitlines() if line.startswith("Dialogue:")]


def test_cues_are_moved_to_the_trims_start_and_cut_at_its_ends() -> None:
    cues = [
        "Dialogue: 0,0:00:00.20,0:00:00.90,Default,,0,0,0,,before",
        "Dialogue: 0,0:00:00.50,0:00:01.50,Default,,0,0,0,,across the start",
        "Dialogue: 1,0:00:02.00,0:00:02.80,Default,,0,0,0,,{\\i1}inside, styled{\\i0}",
        "Dialogue: 0,0:00:03.40,0:00:04.00,Default,,0,0,0,,across the end",
        "Dialogue: 0,0:00:04.00,0:00:05.00,Default,,0,0,0,,after",
        "Dialogue: 0,1:00:00.00,1:00:01.00,Default,,0,0,0,,an hour in",
    ]
    cut = cut_cues(HEAD + "\n".join(cues) + "\n", Trim(1.0, 3.5))
    assert cut.startswith(HEAD)
    assert _events(cut) == [
        "Dialogue: 0,0:00:00.00,0:00:00.50,Default,,0,0,0,,across the start",
        "Dialogue: 1,0:00:01.00,0:00:01.80,Default,,0,0,0,,{\\i1}inside, styled{\\i0}",
        "Dialogue: 0,0:00:02.40,0:00:02.50,Default,,0,0,0,,across the end",
    ]


def test_a_trim_an_hour_in_times_its_cues_from_there() -> None:
    cue = "Dialogue: 0,1:00:05.25,1:00:06.00,Default,,0,0,0,,late"
    assert _events(cut_cues(HEAD + cue, Trim(3600.0, 3660.0))) == [
        "Dialogue: 0,0:00:05.25,0:00:06.00,Default,,0,0,0,,late"
    ]


def test_chapters_are_moved_to_the_trims_start_and_cut_at_its_ends() -> None:
    metadata = (
        ";FFMETADATA1\ntitle=Chaptered\n"
        "[CHAPTER]\nTIMEBASE=1/48000\nSTART=0\nEND=48000\ntitle=Before\n"
        "[CHAPTER]\nTIMEBASE=1/48000\nSTART=48000\nEND=144000\ntitle=Across the start\n"
        "[CHAPTER]\nTIMEBASE=1/1000\nSTART=3000\nEND=9000\ntitle=Across the end\n"
        "[CHAPTER]\nTIMEBASE=1/1000\nSTART=9000\nEND=10000\ntitle=After\n"
    )
    assert cut_chapters(metadata, Trim(2.0, 5.0)) == (
        ";FFMETADATA1\n"
        "[CHAPTER]\nTIMEBASE=1/1000\nSTART=0\nEND=1000\ntitle=Across the start\n"
        "[CHAPTER]\nTIMEBASE=1/1000\nSTART=1000\nEND=3000\ntitle=Across the end\n"
    )
