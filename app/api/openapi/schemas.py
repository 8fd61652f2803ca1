"""The components' schemas of a job, of a problem, and of the two ways to submit one."""

from __future__ import annotations

from typing import Any

from app.api.openapi.common import BINARY, nullable, ref
from app.api.openapi.options import OPTION_PROPERTIES, URL_PATTERN, options
from app.jobs.document import JobDocument, JobLinks
from app.jobs.models import DELIVERY_STATES, STATUSES
from app.jobs.options import MAX_URL_LENGTH
from app.media.formats import CONTAINERS

VIDEO = {**BINARY, "contentMediaType": "video/*", "description": "the video (ffmpeg must read it: else 415)"}
FORM_EMPTY = 'A form field left empty ("") is not given; JSON takes null for that.'


def job_schemas(max_upload_mb: int) -> dict[str, Any]:
    """Job and its parts, JobList, Problem, and the bodies of POST /api/jobs (Upload, SourceUrl)."""
    text, integer, number = {"type": "string"}, {"type": "integer"}, {"type": "number"}
    time = {"type": "string", "format": "date-time"}
    return {
        "Job": {
            "type": "object",
            "required": sorted(JobDocument.__required_keys__),
            "properties": {
                "id": text,
                "status": {"type": "string", "enum": list(STATUSES)},
                "version": {
                    **integer,
                    "description": "Grows with every change; order and de-duplicate by it",
                },
                "progress": {**number, "minimum": 0, "maximum": 100},
                "eta_seconds": nullable(integer),
                "queue_position": nullable({**integer, "minimum": 1}),
                "attempts": integer,
                "created_at": time,
                "started_at": nullable(time),
                "finished_at": nullable(time),
                "expires_at": nullable({**time, "description": "When the output (and input) are deleted"}),
                "input": ref("JobInput"),
                "options": ref("JobOptions"),
                "output": nullable(ref("JobOutput")),
                "error": nullable(ref("JobError")),
                "segments": nullable(
                    {
                        "type": "object",
                        "description": "a long video encoded in segments on many workers (null: one piece)",
                        "required": ["total", "done", "running"],
                        "properties": {
                            name: {**integer, "minimum": 0} for name in ("total", "done", "running")
                        },
                    }
                ),
                "links": ref("JobLinks"),
                "source_url": text,
                "webhook": ref("Webhook"),
            },
        },
        "JobInput": {
            "type": "object",
            "properties": {
                "filename": text,
                "size_bytes": nullable(integer),
                "duration_seconds": nullable(number),
                "width": nullable(integer),
                "height": nullable(integer),
                "video_codec": nullable(text),
                "audio_codec": nullable(text),
            },
        },
        "JobOptions": {
            "type": "object",
            "properties": {
                "preset": OPTION_PROPERTIES["preset"],
                "codec": OPTION_PROPERTIES["codec"],
                "max_height": nullable(integer),
                "target_size_mb": nullable(number),
                "keep_location": {"type": "boolean"},
                "normalize_audio": {"type": "boolean"},
                "sdr": {"type": "boolean"},
                "start_seconds": nullable(number),
                "end_seconds": nullable(number),
                "container": nullable({"type": "string", "enum": list(CONTAINERS)}),
            },
        },
        "JobOutput": {
            "type": "object",
            "properties": {
                "size_bytes": integer,
                "width": integer,
                "height": integer,
                "duration_seconds": nullable(number),
                "ratio": nullable({**number, "description": "output bytes / input bytes"}),
                "url": nullable(text),
                "content_type": {**text, "description": "video/mp4, or the input's own type when kept"},
                "loudness_lufs": nullable(
                    {
                        **number,
                        "description": "integrated loudness of the first audio track (normalize_audio)",
                    }
                ),
                "verified": {
                    "type": "boolean",
                    "description": "decoded to its end; frames, length and streams checked against the input",
                },
                "streams": {
                    "type": "object",
                    "description": "what the delivered file holds besides its picture",
                    "properties": {
                        name: {"type": "integer", "minimum": 0} for name in ("audio", "subtitles", "chapters")
                    },
                },
                "kept_original": {
                    "type": "boolean",
                    "description": "the input delivered unchanged: an encode would not be smaller",
                },
                "note": nullable({**text, "description": "what a person should know about the result"}),
                "segments": nullable(
                    {
                        "type": "array",
                        "description": "a split job's segments in order, each with its own CRF and score",
                        "items": {
                            "type": "object",
                            "properties": {
                                "start_seconds": number,
                                "duration_seconds": number,
                                "crf": nullable(number),
                                "vmaf": nullable(number),
                                "size_bytes": nullable(integer),
                            },
                        },
                    }
                ),
                "quality": nullable(
                    {
                        "type": "object",
                        "description": "measured against the input on sampled spans (docs/api.md)",
                        "properties": {
                            "vmaf": {**number, "minimum": 0, "maximum": 100},
                            "ssim": {**number, "minimum": 0, "maximum": 1},
                        },
                    }
                ),
            },
        },
        "JobError": {
            "type": "object",
            "required": ["code", "message"],
            "properties": {"code": text, "message": text},
        },
        "JobLinks": {
            "type": "object",
            "properties": {name: nullable({**text, "format": "uri"}) for name in JobLinks.__annotations__},
        },
        "Webhook": {
            "type": "object",
            "properties": {
                "url": text,
                "state": {"type": "string", "enum": list(DELIVERY_STATES)},
                "attempts": integer,
                "last_status": nullable(integer),
                "last_error": text,
            },
        },
        "JobList": {
            "type": "object",
            "required": ["jobs", "next"],
            "properties": {
                "jobs": {"type": "array", "items": ref("Job")},
                "next": nullable({**text, "format": "uri"}),
            },
        },
        "Problem": {
            "type": "object",
            "required": ["type", "title", "status", "detail", "code"],
            "properties": {
                "type": text,
                "title": text,
                "status": integer,
                "detail": text,
                "code": {
                    **text,
                    "description": "Stable, machine-readable: invalid_option, unsupported_media, ...",
                },
                "errors": {
                    "type": "array",
                    "items": {"type": "object", "properties": {"field": text, "message": text}},
                },
            },
        },
        "Upload": {
            "type": "object",
            "description": FORM_EMPTY,
            "required": ["file"],
            "properties": {"file": VIDEO, **options(max_upload_mb, json=False)},
            "additionalProperties": False,  # an unknown field is a 422, not ignored
        },
        "SourceUrl": {
            "type": "object",
            "required": ["source_url"],
            "properties": {
                "source_url": {
                    "type": "string",
                    "format": "uri",
                    "pattern": URL_PATTERN,
                    "maxLength": MAX_URL_LENGTH,
                },
                **options(max_upload_mb, json=True),
            },
            "additionalProperties": False,
        },
    }
