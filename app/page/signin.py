"""Signing in to a private deployment's page: a key, then a session of that key's owner.

With keys configured, the page is nobody's until a visitor signs in with an API key; the
session then belongs to the key's owner, so a person sees the same jobs from any browser,
and ends when they sign out or the key is revoked. Without keys there is nothing to sign in to.
"""

from __future__ import annotations

from flask import redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from app.auth import sign_in, sign_out, signed_in_owner
from app.auth.keys import keys_configured
from app.extensions import csrf, limiter
from app.page import bp

SIGN_IN_RATE_LIMIT = "10 per minute"  # tries of a key per address: guessing one is hopeless anyway


@bp.get("/signin")
def signin_form() -> Response | str:
    if not keys_configured() or signed_in_owner() is not None:
        return redirect(url_for("page.index"))
    return render_template("signin.html", error=None)


@bp.post("/signin")
@limiter.limit(SIGN_IN_RATE_LIMIT)
def signin() -> Response | tuple[str, int]:
    csrf.protect()
    if not keys_configured():
        return redirect(url_for("page.index"))
    if sign_in(request.form.get("key", "").strip()) is None:
        return render_template("signin.html", error="That key is not valid."), 401
    return redirect(url_for("page.index"), code=303)


@bp.post("/signout")
def signout() -> Response:
    csrf.protect()
    sign_out()
    return redirect(url_for("page.signin_form" if keys_configured() else "page.index"), code=303)
