"""The page's formatting of sizes, durations and savings."""

from __future__ import annotations

import pytest

from app.page.format import dimensions, duration, filesize, saving, score, timecode


@pytest.mark.parametrize(
    ("size", "shown"),
    [(None, "–"), (0, "0 B"), (1023, "1023 B"), (1024, "1.0 KB"), (1536, "1.5 KB"),
     (5 * 1024**2, "5.0 MB"), (3 * 1024**3, "3.0 GB"), (2 * 1024**5, "2048.0 TB")],
)  # fmt: skip
def test_filesize(size: int | None, shown: str) -> None:
    assert filesize(size) == shown


@pytest.mark.parametrize(
    ("seconds", "shown"),
    [(None, "–"), (0, "0 s"), (59.9, "59 s"), (60, "1 min 00 s"), (125, "2 min 05 s"),
     (3600, "1 h 00 min"), (3 * 3600 + 7 * 60 + 5, "3 h 07 min")],
)  # fmt: skip
def test_duration(seconds: float | None, shown: str) -> None:
    assert duration(seconds) == shown


@pytest.mark.parametrize(
    ("ratio", "shown"),
    [
        (0.25, "75% smaller"),
        (1.0, "0% smaller"),
        (1.1, "10% larger"),
        (2.2, "120% larger"),
        (0.004, "100% smaller"),
    ],
)
def test_saving(ratio: float, shown: str) -> None:
    assert saving(ratio) == shown


@pytest.mark.parametrize(
    ("seconds", "shown"),
    [
        (None, "–"),
        (0, "0:00.0"),
        (0.667, "0:00.7"),
        (83.25, "1:23.2"),
        (59.96, "1:00.0"),
        (4000, "1:06:40.0"),
    ],
)
def test_timecode(seconds: float | None, shown: str) -> None:
    assert timecode(seconds) == shown


def test_dimensions_and_scores() -> None:
    assert dimensions(1280, 720) == "1280×720" and dimensions(None, 720) == "–"
    assert score(93.44) == "93.4" and score(0.98712, 3) == "0.987" and score(None) == "–"
