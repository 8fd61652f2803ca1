"""Resolve the owner of a request: a bearer key, a browser session, or the anonymous owner.

With keys configured, a browser session belongs to the key it signed in with (its owner, and
the key's digest to notice a revocation); a session that did not sign in is nobody. Without
keys, each browser gets an owner of its own on its first visit.
"""

from __future__ import annotations

import secrets
from urllib.parse import urlsplit

from flask import request, session

from app.auth.keys import key_hash, keys_configured, owner_for_digest, owner_for_key
from app.extensions import csrf
from app.problems import Problem

ANONYMOUS = "anonymous"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
SESSION_KEY = "owner"
SESSION_DIGEST = "key_digest"  # the signed-in key's SHA-256 (not the key): a revocation ends the session
SESSION_PREFIX = "session:"  # an open deployment's browser session owner id starts with this


def page_owner() -> str:
    """The browser session's owner: the signed-in key's (401 when keys exist and it did not
    sign in), else one created on first visit (a signed cookie carries it)."""
    if keys_configured():
        owner = signed_in_owner()
        if owner is None:
            raise Problem(401, "sign_in_required", "sign in with an API key first")
        return owner
    if SESSION_KEY not in session or session.get(SESSION_DIGEST):
        session.pop(SESSION_DIGEST, None)  # a key's session from when keys existed ends; an operator's stays
        session[SESSION_KEY] = SESSION_PREFIX + secrets.token_urlsafe(18)
        session.permanent = True
    return _session_owner()


def sign_in(key: str) -> str | None:
    """Start a session for the owner of ``key``; its owner, or None (session untouched) if invalid."""
    owner = owner_for_key(key)
    if owner is None:
        return None
    session.clear()  # nothing of the session before survives (no fixation)
    session[SESSION_KEY], session[SESSION_DIGEST] = owner, key_hash(key)
    session.permanent = True
    return owner


def sign_out() -> None:
    session.clear()


def request_credential() -> str | None:
    """The SHA-256 of the API key this request presents (its bearer header, or the key its
    session signed in with), which a stream subscribes under to end when the key is revoked."""
    scheme, _, key = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() == "bearer" and key.strip():
        return key_hash(key.strip())
    digest = session.get(SESSION_DIGEST)
    return digest if isinstance(digest, str) else None


def signed_in_owner() -> str | None:
    """The owner of the key this session signed in with, while that key is valid."""
    digest = session.get(SESSION_DIGEST)
    if not isinstance(digest, str) or SESSION_KEY not in session:
        return None
    owner = owner_for_digest(digest)
    return owner if owner is not None and owner == session[SESSION_KEY] else None


def client_key(owner: str) -> str:
    """Whose limits a request counts against: a key's owner, else the caller's address.

    The anonymous owner an open API shares, and a browser session (a new one is free to
    make), stand for nobody in particular: the address does, so a new session resets nothing.
    """
    if owner == ANONYMOUS or owner.startswith(SESSION_PREFIX):
        return f"{ANONYMOUS}@{request.remote_addr}"
    return owner


def rate_key() -> str:
    """The rate limiter's key for work a request creates (see ``client_key``)."""
    return client_key(request_owner())


def current_owner() -> str:
    """Who is asking, for the API and the event streams; 401 when a key is needed and missing.

    ``request_owner()``, and a browser session's unsafe request must carry its CSRF token
    (checking a token sent as a form field reads the request body).
    """
    owner, by_session = _resolved()
    if by_session and request.method not in SAFE_METHODS:  # a signed-in one's too: the cookie rides along
        csrf.protect()
    return owner


def socket_owner() -> str:
    """Who opens a WebSocket: ``request_owner``; 403 for another site's handshake that the
    session cookie would authenticate (a browser names that site in ``Origin``; a key in the
    header is its sender's own, from anywhere)."""
    owner, by_session = _resolved()
    if by_session and cross_site():
        raise Problem(403, "cross_site", "a WebSocket opened from another site's page is refused")
    return owner


def cross_site() -> bool:
    """Whether the request comes from another site's page (its ``Origin`` is not this host)."""
    origin = request.headers.get("Origin")
    return bool(origin) and urlsplit(origin).netloc != request.host


def request_owner() -> str:
    """Who is asking, without reading the body and holding no database connection after.

    A bearer key wins; else a browser session; else, with no key configured at all, the
    shared anonymous owner. 401 when a key is needed and missing or wrong.
    """
    return _resolved()[0]


def _resolved() -> tuple[str, bool]:
    """``request_owner``'s answer, and whether the browser session gave it (its cookie)."""
    header = request.headers.get("Authorization", "")
    if header:
        scheme, _, key = header.partition(" ")
        if scheme.lower() == "bearer" and key.strip():
            owner = owner_for_key(key.strip())
            if owner is not None:
                return owner, False
        if keys_configured():
            raise _unauthorized("the API key is not valid")
    if keys_configured():
        if SESSION_KEY in session:
            owner = signed_in_owner()
            if owner is not None:
                return owner, True
            raise _unauthorized("the session is signed out (or its key was revoked): sign in again")
        raise _unauthorized("send an API key as 'Authorization: Bearer <key>'")
    if SESSION_KEY in session:
        return _session_owner(), True
    return ANONYMOUS, False


def _session_owner() -> str:
    owner: str = session[SESSION_KEY]  # only page_owner writes it: always a str
    return owner


def revoked_problem() -> Problem:
    """The answer to a request whose key was revoked while it waited (a long poll)."""
    return _unauthorized("the API key was revoked")


def _unauthorized(detail: str) -> Problem:
    return Problem(401, "unauthorized", detail, headers={"WWW-Authenticate": 'Bearer realm="squeeze"'})
