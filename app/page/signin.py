"""Signing in to a private deployment's page: a key, then a session of that key's owner.

With keys configured, the page is nobody's until a visitor signs in with an API key; the
session then belongs to the key's owner, so a person sees the same jobs from any browser,
and ends when they sign out or the key is revoked. Without keys there is nothing to sign in to.

An operator signs in here too, with a key of ADMIN_KEYS: the session is then an operator's and
goes to the console (``/admin``), which answers nobody else, so the form says nothing of it.
"""

from __future__ import annotations

import time

import flask
from flask import current_app, redirect, render_template, request, url_for
from flask_limiter import RequestLimit
from werkzeug.wrappers import Response

from app.auth import sign_in, sign_out, signed_in_owner
from app.auth.admin import admin_session, sign_in_admin
from app.auth.keys import keys_configured
from app.extensions import csrf, limiter
from app.page import bp

SIGN_IN_RATE_LIMIT = "10 per minute"  # tries of a key per address: guessing one is hopeless anyway


def _anyone_signs_in() -> bool:
    """True when a key is needed for the page, or operators may sign in to the console."""
    return keys_configured() or bool(current_app.config["ADMIN_KEYS"])


@bp.get("/signin")
def signin_form() -> Response | str:
    if admin_session():
        return redirect(url_for("admin.console"))
    if not _anyone_signs_in() or signed_in_owner() is not None:
        return redirect(url_for("page.index"))
    return render_template("signin.html", error=None, private=keys_configured())


def _too_many_tries(breached: RequestLimit) -> flask.Response:
    """The sign-in form again, saying how long to wait: a person's page (the answer the limit
    brings with it; the API's is JSON about "submissions")."""
    wait = max(int(breached.reset_at - time.time()), 1)
    said = f"Too many tries from here: try again in {wait} s."
    page = render_template("signin.html", error=said, private=keys_configured())
    return flask.Response(page, 429, {"Retry-After": str(wait)}, mimetype="text/html")


@bp.post("/signin")
@limiter.limit(SIGN_IN_RATE_LIMIT, on_breach=_too_many_tries)
def signin() -> Response | tuple[str, int]:
    csrf.protect()
    if not _anyone_signs_in():
        return redirect(url_for("page.index"))
    key = request.form.get("key", "").strip()
    if sign_in_admin(key):
        return redirect(url_for("admin.console"), code=303)
    if not keys_configured() or sign_in(key) is None:
        return render_template("signin.html", error="That key is not valid.", private=keys_configured()), 401
    return redirect(url_for("page.index"), code=303)


@bp.post("/signout")
def signout() -> Response:
    csrf.protect()
    sign_out()
    return redirect(url_for("page.signin_form" if _anyone_signs_in() else "page.index"), code=303)
