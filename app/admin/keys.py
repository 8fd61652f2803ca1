"""API keys as the console shows and makes them (``app/auth/keys.py`` does the work)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from app.auth.keys import ApiKey, owner_of_hash
from app.problems import invalid
from app.timeutil import rfc3339

NAME_LENGTH = 100  # as the api_keys table holds it
QUOTAS = ("max_concurrent_jobs", "monthly_minutes")


def key_body(row: ApiKey) -> dict[str, Any]:
    """A key without its secret: who it makes jobs for, its state and its quotas."""
    return {
        "id": row.id,
        "name": row.name,
        "owner": owner_of_hash(row.key_hash),
        "created_at": rfc3339(row.created_at),
        "revoked_at": rfc3339(row.revoked_at),
        "max_concurrent_jobs": row.max_concurrent_jobs,
        "monthly_minutes": row.monthly_minutes,
    }


def parse_new_key(fields: Mapping[str, Any]) -> tuple[str, int | None, int | None]:
    """A new key's name and quotas from JSON or a form (an empty quota is no limit); 422 naming each
    wrong field."""
    errors = []
    name = fields.get("name")
    if not isinstance(name, str) or not name.strip() or len(name.strip()) > NAME_LENGTH:
        errors.append({"field": "name", "message": f"is required: 1 to {NAME_LENGTH} characters"})
    quotas: list[int | None] = []
    for field in QUOTAS:
        value = fields.get(field)
        if value is None or value == "":
            quotas.append(None)
        elif isinstance(value, int) and not isinstance(value, bool) and value >= 1:
            quotas.append(value)
        elif isinstance(value, str) and value.strip().isdigit() and int(value) >= 1:
            quotas.append(int(value))
        else:
            errors.append(
                {"field": field, "message": "must be a whole number of at least 1, or null for no limit"}
            )
    if errors:
        raise invalid(errors)
    assert isinstance(name, str)
    return name.strip(), quotas[0], quotas[1]
