"""Operators: the keys of ADMIN_KEYS, as a bearer header or a signed-in browser session.

An operator's session holds the SHA-256 of the admin key it signed in with (never the key), so
removing the key from ADMIN_KEYS ends it. Nothing here tells anyone else that operators exist:
the console's routes answer them 404 (``app/admin``).
"""

from __future__ import annotations

import hmac

from flask import current_app, request, session

from app.auth.keys import key_hash

SESSION_ADMIN = "admin_digest"  # the operator's key's SHA-256


def _admin_digests() -> list[str]:
    return [key_hash(key) for key in current_app.config["ADMIN_KEYS"]]


def is_admin_digest(digest: str) -> bool:
    """True if ``digest`` is the SHA-256 of one of ADMIN_KEYS (compared in constant time)."""
    return any(hmac.compare_digest(known, digest) for known in _admin_digests())


def is_admin_key(key: str) -> bool:
    return bool(key) and is_admin_digest(key_hash(key))


def sign_in_admin(key: str) -> bool:
    """Start an operator's session for an admin key; False (session untouched) for any other key."""
    if not is_admin_key(key):
        return False
    session.clear()  # nothing of the session before survives (no fixation)
    session[SESSION_ADMIN] = key_hash(key)
    session.permanent = True
    return True


def admin_session() -> bool:
    """True while this browser session signed in with a key still in ADMIN_KEYS."""
    digest = session.get(SESSION_ADMIN)
    return isinstance(digest, str) and is_admin_digest(digest)


def admin_bearer() -> bool:
    """True if the request carries ``Authorization: Bearer <admin key>``."""
    scheme, _, key = request.headers.get("Authorization", "").partition(" ")
    return scheme.lower() == "bearer" and is_admin_key(key.strip())
