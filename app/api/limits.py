"""One limit on creating work: submit, source URL, create upload and complete share it.

Counted per owner for a key, per address for everyone else (``app.auth.rate_key``), in Redis,
so every web process sees the same count (SUBMIT_RATE_LIMIT).
"""

from __future__ import annotations

from flask import current_app, request

from app.auth import rate_key, request_owner
from app.extensions import limiter, release_database
from app.jobs import idempotency
from app.problems import Problem
from app.uploads import service as uploads

WORK_SCOPE = "work"  # the name the shared counter is kept under


def repeats_earlier_work() -> bool:
    """Whether the request repeats one that made its work already: a submit or a new upload with
    an Idempotency-Key its owner used, a completion of an upload completed. It makes none, and
    is not counted: a client's safe retry never meets 429."""
    key, upload_id = request.headers.get("Idempotency-Key"), (request.view_args or {}).get("upload_id")
    if not key and not upload_id:
        return False
    try:
        owner = request_owner()
    except Problem:  # the request answers 401 on its own
        return False
    try:
        if upload_id is not None:
            return uploads.made_already(owner, upload_id=str(upload_id))
        if request.endpoint == "api.create_upload":
            return uploads.made_already(owner, key=key)
        return idempotency.used(owner, str(key))
    finally:
        release_database()  # the body is read later, holding no connection


work_limit = limiter.shared_limit(
    lambda: current_app.config["SUBMIT_RATE_LIMIT"],
    WORK_SCOPE,
    key_func=rate_key,
    exempt_when=repeats_earlier_work,
)
