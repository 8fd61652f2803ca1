"""Resolve the owner of a request: a bearer key, a browser session, or the anonymous owner."""

from __future__ import annotations

import secrets

from flask import request, session

from app.auth.keys import keys_configured, owner_for_key
from app.extensions import csrf
from app.problems import Problem

ANONYMOUS = "anonymous"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
SESSION_KEY = "owner"


def page_owner() -> str:
    """The browser session's owner, created on first visit (a signed cookie carries it)."""
    if SESSION_KEY not in session:
        session[SESSION_KEY] = "session:" + secrets.token_urlsafe(18)
        session.permanent = True
    return session[SESSION_KEY]


def current_owner() -> str:
    """Who is asking, for the API and the event streams; 401 when a key is needed and missing.

    A bearer key wins; else a browser session (its unsafe requests must carry the CSRF
    token); else, with no key configured at all, the shared anonymous owner.
    """
    header = request.headers.get("Authorization", "")
    if header:
        scheme, _, key = header.partition(" ")
        if scheme.lower() == "bearer" and key.strip():
            owner = owner_for_key(key.strip())
            if owner is not None:
                return owner
        if keys_configured():
            raise _unauthorized("the API key is not valid")
    if SESSION_KEY in session:
        if request.method not in SAFE_METHODS:
            csrf.protect()
        return session[SESSION_KEY]
    if keys_configured():
        raise _unauthorized("send an API key as 'Authorization: Bearer <key>'")
    return ANONYMOUS


def _unauthorized(detail: str) -> Problem:
    return Problem(401, "unauthorized", detail, headers={"WWW-Authenticate": 'Bearer realm="squeeze"'})
