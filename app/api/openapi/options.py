"""The job options as request bodies take them (enums and limits from the code that enforces them)."""

from __future__ import annotations

from typing import Any

from app.api.openapi.common import nullable
from app.jobs.options import MAX_HEIGHT, MAX_URL_LENGTH, MIN_HEIGHT
from app.media.formats import CODECS, CONTAINERS, DEFAULT_CODEC, DEFAULT_PRESET, PRESETS

URL_PATTERN = "^https?://"
OPTION_PROPERTIES: dict[str, Any] = {
    "preset": {"type": "string", "enum": list(PRESETS), "default": DEFAULT_PRESET},
    "codec": {"type": "string", "enum": list(CODECS), "default": DEFAULT_CODEC},
    "max_height": {
        "type": "integer",
        "minimum": MIN_HEIGHT,
        "maximum": MAX_HEIGHT,
        "description": "Scale down to at most this height; never up",
    },
    "target_size_mb": {
        "type": "number",
        "exclusiveMinimum": 0,
        "description": "Aim at this size instead of a preset (at most MAX_UPLOAD_MB)",
    },
    "keep_location": {
        "type": "boolean",
        "default": False,
        "description": "Keep where the video was recorded (its location tag); removed by default",
    },
    "normalize_audio": {
        "type": "boolean",
        "default": False,
        "description": "Every audio track to -16 LUFS, true peak -1.5 dBTP (EBU R128, two passes)",
    },
    "sdr": {
        "type": "boolean",
        "default": False,
        "description": "Tone-map HDR to 8-bit SDR BT.709 even where the codec could keep it "
        "(H.265 and AV1 keep 10-bit HDR by default; H.264 is always SDR)",
    },
    "start_seconds": {
        "type": "number",
        "minimum": 0,
        "description": "Trim: keep the video from this time (frame-accurate); 422 past its end",
    },
    "end_seconds": {
        "type": "number",
        "exclusiveMinimum": 0,
        "description": "Trim: keep the video up to this time; after start_seconds, at most its length",
    },
    "container": {
        "type": "string",
        "enum": list(CONTAINERS),
        "description": "The delivered file's format; default: MP4, or Matroska (mkv) when the input "
        "has subtitles drawn as pictures, which MP4 cannot hold",
    },
    "callback_url": {
        "type": "string",
        "format": "uri",
        "pattern": URL_PATTERN,
        "maxLength": MAX_URL_LENGTH,
        "description": "http(s) URL for the signed webhook (needs WEBHOOK_SECRET on the server)",
    },
}


def options(max_upload_mb: int, json: bool) -> dict[str, Any]:
    """The job options as a body takes them: ``json`` ones also take null for "not given"."""
    properties = {**OPTION_PROPERTIES}
    properties["target_size_mb"] = {**properties["target_size_mb"], "maximum": max_upload_mb}
    if not json:
        return properties
    return {name: {**nullable(schema), "description": schema.get("description", "") + " (null: not given)"}
            for name, schema in properties.items()}  # fmt: skip
