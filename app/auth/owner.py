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
SESSION_PREFIX = "session:"  # a browser session's owner id starts with this


def page_owner() -> str:
    """The browser session's owner, created on first visit (a signed cookie carries it)."""
    if SESSION_KEY not in session:
        session[SESSION_KEY] = SESSION_PREFIX + secrets.token_urlsafe(18)
        session.permanent = True
    return _session_owner()


def current_owner() -> str:
    """Who is asking, for the API and the event streams; 401 when a key is needed and missing.

    ``request_owner()``, and a browser session's unsafe request must carry its CSRF token
    (checking a token sent as a form field reads the request body).
    """
    owner = request_owner()
    if owner.startswith(SESSION_PREFIX) and request.method not in SAFE_METHODS:
        csrf.protect()
    return owner


def request_owner() -> str:
    """Who is asking, without reading the body and holding no database connection after.

    A bearer key wins; else a browser session; else, with no key configured at all, the
    shared anonymous owner. 401 when a key is needed and missing or wrong.
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
        return _session_owner()
    if keys_configured():
        raise _unauthorized("send an API key as 'Authorization: Bearer <key>'")
    return ANONYMOUS


def _session_owner() -> str:
    owner: str = session[SESSION_KEY]  # only page_owner writes it: always a str
    return owner


def _unauthorized(detail: str) -> Problem:
    return Problem(401, "unauthorized", detail, headers={"WWW-Authenticate": 'Bearer realm="squeeze"'})
