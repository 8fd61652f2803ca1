"""Validate what a client asked for: the compression options and the optional URLs."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Any

from app.media import Options
from app.media.formats import CODECS, CONTAINERS, DEFAULT_CODEC, DEFAULT_PRESET, PRESETS
from app.media.trim import trim_problems
from app.netguard import BlockedAddress, resolve_allowed
from app.problems import invalid

OPTION_FIELDS = (
    "preset", "codec", "max_height", "target_size_mb", "keep_location", "normalize_audio", "sdr",
    "start_seconds", "end_seconds", "container", "callback_url",
)  # fmt: skip
FLAGS = ("keep_location", "normalize_audio", "sdr")  # true or false, as JSON or a form spells them
TRUE, FALSE = ("true", "1", "on", "yes"), ("false", "0", "off", "no", "")  # a form's spellings
MIN_HEIGHT, MAX_HEIGHT = 16, 4320
MAX_URL_LENGTH = 2048


@dataclass(frozen=True)
class Submission:
    """A validated request: options, where to call back, where to fetch the source from."""

    options: Options
    callback_url: str | None = None
    source_url: str | None = None

    def options_dict(self) -> dict[str, Any]:
        return asdict(self.options)


def parse_submission(
    fields: Mapping[str, Any],
    max_upload_mb: int,
    allow_private: bool,
    allow_source_url: bool = False,
    webhooks_enabled: bool = True,
    typed: bool = False,
) -> Submission:
    """Check every field; raise a 422 Problem listing each bad one (unknown fields included).

    ``typed``: the fields come from JSON, so each must have its JSON type (a number, not "720")
    and null means not given; from a form every value is text and "" means not given."""
    errors: list[dict[str, str]] = []
    allowed = set(OPTION_FIELDS) | ({"source_url"} if allow_source_url else set())

    def bad(field: str, message: str) -> None:
        errors.append({"field": field, "message": message})

    for name in fields:
        if name not in allowed:
            bad(name, "unknown field")
    preset = _text(fields, "preset", DEFAULT_PRESET, typed)
    if preset not in PRESETS:
        bad("preset", f"must be one of {', '.join(PRESETS)}")
    codec = _text(fields, "codec", DEFAULT_CODEC, typed)
    if codec not in CODECS:
        bad("codec", f"must be one of {', '.join(CODECS)}")
    container = _text(fields, "container", "", typed) or None
    if (container is not None or _given_empty(fields, "container", typed)) and container not in CONTAINERS:
        bad("container", f"must be one of {', '.join(CONTAINERS)}")
        container = None
    max_height = _number(fields, "max_height", True, typed)
    if max_height is _BAD or (max_height is not None and not MIN_HEIGHT <= max_height <= MAX_HEIGHT):
        bad("max_height", f"must be a whole number from {MIN_HEIGHT} to {MAX_HEIGHT}")
        max_height = None
    target = _number(fields, "target_size_mb", False, typed)
    if target is _BAD or (target is not None and not 0 < target <= max_upload_mb):
        bad("target_size_mb", f"must be a number above 0 and at most {max_upload_mb}")
        target = None
    trim: dict[str, float | None] = {}
    for name in ("start_seconds", "end_seconds"):
        trim[name] = _number(fields, name, False, typed)
        if trim[name] is _BAD:
            bad(name, "must be a number of seconds")
            trim[name] = None
    for name, message in trim_problems(trim["start_seconds"], trim["end_seconds"]):
        bad(name, message)
    flags = {name: _flag(fields, name, typed) for name in FLAGS}
    for name, value in flags.items():
        if value is _BAD:
            bad(name, "must be true or false")
            flags[name] = False
    urls = {}
    for name in ("callback_url", "source_url"):
        if name in allowed:
            urls[name] = _url(fields, name, allow_private, bad, typed)
    if urls.get("callback_url") and not webhooks_enabled:
        bad("callback_url", "webhooks are off on this server (no WEBHOOK_SECRET): it cannot sign them")
    if (
        allow_source_url
        and not urls.get("source_url")
        and not any(e["field"] == "source_url" for e in errors)
    ):
        bad("source_url", "is required (or upload a file as multipart/form-data)")
    if errors:
        raise invalid(errors)
    return Submission(
        options=Options(
            preset=preset,
            codec=codec,
            max_height=max_height,
            target_size_mb=target,
            keep_location=flags["keep_location"],
            normalize_audio=flags["normalize_audio"],
            sdr=flags["sdr"],
            start_seconds=trim["start_seconds"],
            end_seconds=trim["end_seconds"],
            container=container,
            codec_named=fields.get("codec") not in (None, ""),
        ),
        callback_url=urls.get("callback_url"),
        source_url=urls.get("source_url"),
    )


_BAD: Any = object()


def _given_empty(fields: Mapping[str, Any], name: str, typed: bool) -> bool:
    """JSON's "" is a value (a wrong one), not an absent field as a form's empty input is."""
    return typed and fields.get(name) == ""


def _text(fields: Mapping[str, Any], name: str, default: str, typed: bool) -> str:
    value = fields.get(name)
    if value is None or (value == "" and not typed):
        return default
    return value.strip() if isinstance(value, str) and not typed else str(value)


def _flag(fields: Mapping[str, Any], name: str, typed: bool) -> Any:
    """A boolean from JSON (true/false) or a form ("true", "on", "1"...); _BAD otherwise."""
    value = fields.get(name)
    if value is None or isinstance(value, bool):
        return bool(value)
    if isinstance(value, str) and not typed and value.strip().lower() in TRUE + FALSE:
        return value.strip().lower() in TRUE
    return _BAD


def _number(fields: Mapping[str, Any], name: str, integer: bool, typed: bool) -> Any:
    value = fields.get(name)
    if value is None or (value == "" and not typed):
        return None
    if isinstance(value, bool) or (typed and not isinstance(value, int | float)):
        return _BAD
    try:
        number = float(value)  # an int too large for a float (JSON's 400 digits) is no size anyone means
    except (TypeError, ValueError, OverflowError):
        return _BAD
    if not math.isfinite(number):
        return _BAD
    if integer:
        return int(number) if float(number).is_integer() else _BAD
    return float(number)


def _url(fields: Mapping[str, Any], name: str, allow_private: bool, bad: Any, typed: bool) -> str | None:
    value = fields.get(name)
    if value is None or (value == "" and not typed):
        return None
    if not isinstance(value, str) or len(value) > MAX_URL_LENGTH:
        bad(name, f"must be an http or https URL of at most {MAX_URL_LENGTH} characters")
        return None
    try:
        resolve_allowed(value.strip(), allow_private)
    except BlockedAddress as exc:
        bad(name, str(exc))
        return None
    return value.strip()
