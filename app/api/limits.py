"""One limit on creating work: submit, source URL, create upload and complete share it.

Counted per owner for a key, per address for everyone else (``app.auth.rate_key``), in Redis,
so every web process sees the same count (SUBMIT_RATE_LIMIT).
"""

from __future__ import annotations

from flask import current_app

from app.auth import rate_key
from app.extensions import limiter

WORK_SCOPE = "work"  # the name the shared counter is kept under

work_limit = limiter.shared_limit(
    lambda: current_app.config["SUBMIT_RATE_LIMIT"], WORK_SCOPE, key_func=rate_key
)
