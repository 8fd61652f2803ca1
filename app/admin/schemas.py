"""The JSON Schemas of the operators' bodies, for ``app/admin/openapi.py``."""

from __future__ import annotations

from typing import Any

from app.admin.keys import NAME_LENGTH
from app.jobs.queue import QUEUE_NAMES

NULLABLE_INT = {"anyOf": [{"type": "integer", "minimum": 1}, {"type": "null"}]}
TIME = {"anyOf": [{"type": "string", "format": "date-time"}, {"type": "null"}]}


def ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def schemas() -> dict[str, Any]:
    totals = {
        "type": "object",
        "properties": {
            "jobs": {"type": "integer", "description": "Jobs accepted in the window"},
            "input_bytes": {"type": "integer"},
            "output_bytes": {"type": "integer"},
            "video_minutes": {"type": "number", "description": "Minutes of video of those inputs"},
            "encode_seconds": {
                "type": "number",
                "description": "Worker time: start to end of each final attempt",
            },
        },
    }
    return {
        "AdminQueue": {
            "type": "object",
            "properties": {
                "name": {"type": "string", "enum": list(QUEUE_NAMES)},
                "depth": {"type": "integer", "description": "Jobs waiting"},
                "oldest_waiting_seconds": {"type": "number", "description": "How long the head has waited"},
                "running": {"type": "integer", "description": "RQ jobs started and not ended"},
                "failed": {"type": "integer", "description": "In RQ's failed registry"},
                "paused": {"type": "boolean", "description": "Intake paused: workers take nothing new"},
            },
        },
        "AdminWorker": {
            "type": "object",
            "properties": {
                "name": {"type": "string"},
                "host": {"type": ["string", "null"]},
                "pid": {"type": ["integer", "null"]},
                "queues": {"type": "array", "items": {"type": "string"}},
                "state": {"type": "string", "description": "RQ's: idle, busy, suspended, started"},
                "current": {
                    "anyOf": [
                        {
                            "type": "object",
                            "properties": {
                                "kind": {"type": "string", "enum": ["job", "segment", "webhook", "unknown"]},
                                "rq_id": {"type": "string"},
                                "job_id": {"type": ["string", "null"], "description": "The Squeeze job"},
                                "since": TIME,
                            },
                        },
                        {"type": "null"},
                    ]
                },
                "started_at": TIME,
                "last_heartbeat": TIME,
            },
        },
        "AdminJob": {
            "type": "object",
            "properties": {"owner": {"type": "string"}, "job": ref("Job")},
        },
        "ApiKey": {
            "type": "object",
            "properties": {
                "id": {"type": "integer"},
                "name": {"type": "string"},
                "owner": {"type": "string", "description": "The owner id its jobs carry"},
                "created_at": TIME,
                "revoked_at": TIME,
                "max_concurrent_jobs": NULLABLE_INT,
                "monthly_minutes": NULLABLE_INT,
            },
        },
        "NewApiKey": {
            "type": "object",
            "required": ["name"],
            "additionalProperties": False,
            "properties": {
                "name": {"type": "string", "minLength": 1, "maxLength": NAME_LENGTH},
                "max_concurrent_jobs": {**NULLABLE_INT, "description": "Jobs queued or running at once"},
                "monthly_minutes": {**NULLABLE_INT, "description": "Minutes of video per 30 days"},
            },
        },
        "CreatedApiKey": {
            "allOf": [
                ref("ApiKey"),
                {
                    "type": "object",
                    "properties": {"key": {"type": "string", "description": "The secret: shown this once"}},
                },
            ]
        },
        "UsageTotals": totals,
        "Usage": {
            "type": "object",
            "properties": {
                "generated_at": {"type": "string", "format": "date-time"},
                "owners": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "properties": {
                            "owner": {"type": "string"},
                            "key": {
                                "anyOf": [
                                    {
                                        "type": "object",
                                        "properties": {"id": {"type": "integer"}, "name": {"type": "string"}},
                                    },
                                    {"type": "null"},
                                ]
                            },
                            "24h": ref("UsageTotals"),
                            "30d": ref("UsageTotals"),
                        },
                    },
                },
            },
        },
    }
