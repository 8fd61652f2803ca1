"""Template filters for people: sizes, durations, savings, moments, picture sizes and scores."""

from __future__ import annotations

from flask.sansio.app import App

from app.media.formats import CODEC_LIST, CODECS, DEFAULT_CODEC, DEFAULT_PRESET, PRESET_LIST

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


def timecode(seconds: float | None) -> str:
    """A moment in a video: 83.3 -> '1:23.3'; 4000 -> '1:06:40.0'."""
    if seconds is None:
        return "–"
    tenths = round(seconds * 10)
    minutes, rest = divmod(tenths, 600)
    hours, minutes = divmod(minutes, 60)
    clock = f"{hours}:{minutes:02d}" if hours else f"{minutes}"
    return f"{clock}:{rest // 10:02d}.{rest % 10}"


def dimensions(width: int | None, height: int | None) -> str:
    """1280, 720 -> '1280×720'."""
    return "–" if not width or not height else f"{width}×{height}"


def score(value: float | None, digits: int = 1) -> str:
    """A quality score as measured: 93.4 (VMAF), 0.987 (SSIM with digits=3)."""
    return "–" if value is None else f"{value:.{digits}f}"


def register(app: App) -> None:
    app.add_template_filter(filesize)
    app.add_template_filter(duration)
    app.add_template_filter(timecode)
    app.add_template_filter(score)
    app.add_template_global(saving)
    app.add_template_global(dimensions)
    # The page offers the codec and preset records as they are (app/media/formats.py).
    app.jinja_env.globals.update(
        presets=PRESET_LIST,
        codecs=CODEC_LIST,
        default_preset=DEFAULT_PRESET,
        default_codec=CODECS[DEFAULT_CODEC],
    )
