"""Template filters for people: sizes, durations, savings."""

from __future__ import annotations

from flask.sansio.app import App

UNITS = ("B", "KB", "MB", "GB", "TB")


def filesize(size: int | None) -> str:
    if size is None:
        return "–"
    value = float(size)
    for unit in UNITS:
        if value < 1024 or unit == UNITS[-1]:
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{size} B"


def duration(seconds: int | float | None) -> str:
    if seconds is None:
        return "–"
    seconds = int(seconds)
    if seconds < 60:
        return f"{seconds} s"
    minutes, seconds = divmod(seconds, 60)
    if minutes < 60:
        return f"{minutes} min {seconds:02d} s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes:02d} min"


def saving(ratio: float) -> str:
    """0.25 -> '75% smaller'; 1.1 -> '10% larger'."""
    change = round((1 - ratio) * 100)
    return f"{change}% smaller" if change >= 0 else f"{-change}% larger"


def register(app: App) -> None:
    app.add_template_filter(filesize)
    app.add_template_filter(duration)
    app.add_template_global(saving)
