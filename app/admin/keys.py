"""API keys as the console shows and makes them (``app/auth/keys.py`` does the work)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from app.auth.keys import ApiKey, owner_of_hash
from app.problems import invalid
from app.timeutil import rfc3339
from app.units import whole_number

NAME_LENGTH = 100  # as the api_keys table holds it
QUOTAS = ("max_concurrent_jobs", "monthly_minutes")
QUOTA_MAX = 2**31 - 1  # the largest quota an INTEGER column holds on every database
FIELDS = frozenset({"name", *QUOTAS})


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


def parse_new_key(fields: Mapping[str, Any], strict: bool = False) -> tuple[str, int | None, int | None]:
    """A new key's name and quotas from JSON or a form (an empty quota is no limit); 422 naming each
    wrong field (``strict``: an unknown one too, as the API's schema has no others)."""
    unknown = [field for field in fields if strict and field not in FIELDS]
    errors = [{"field": field, "message": "is not a field of a key"} for field in unknown]
    name = fields.get("name")
    if not isinstance(name, str) or not name.strip() or len(name.strip()) > NAME_LENGTH or not _text(name):
        errors.append({"field": "name", "message": f"is required: 1 to {NAME_LENGTH} characters"})
    quotas: list[int | None] = []
    for field in QUOTAS:
        value = fields.get(field)
        if value is None or value == "":
            quotas.append(None)
            continue
        if isinstance(value, str) and len(value.strip()) <= len(str(QUOTA_MAX)):
            value = whole_number(value.strip())
        if isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= QUOTA_MAX:
            quotas.append(value)
        else:
            message = f"must be a whole number from 1 to {QUOTA_MAX}, or null for no limit"
            errors.append({"field": field, "message": message})
    if errors:
        raise invalid(errors)
    assert isinstance(name, str)
    return name.strip(), quotas[0], quotas[1]


def _text(value: str) -> bool:
    """Whether ``value`` is text a database stores (no lone surrogate, as JSON's "\\ud800")."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True
