"""Who may reach the console: an admin key as a bearer header, or an operator's session.

Checked before routing (an app-wide hook), so an unknown address or a wrong method under
``/admin`` and ``/api/admin`` answers a stranger exactly as any unknown address does: 404.
An operator's session must send the page's CSRF token with anything that changes something.
"""

from __future__ import annotations

import re

from flask import abort, current_app, request

from app.auth.admin import admin_bearer, admin_session
from app.auth.owner import SAFE_METHODS
from app.extensions import csrf

PREFIXES = ("/admin", "/api/admin")


def under_console(path: str) -> bool:
    path = re.sub("/{2,}", "/", path)  # as the router reads it (it redirects /api//admin there)
    return any(path == prefix or path.startswith(prefix + "/") for prefix in PREFIXES)


def only_operators() -> None:
    """404 for anyone but an operator under the console's prefixes; CSRF for a session's changes."""
    if not under_console(request.path):
        return
    if not current_app.config["ADMIN_KEYS"]:
        abort(404)
    if admin_bearer():
        return
    if not admin_session():
        abort(404)
    if request.method not in SAFE_METHODS:
        csrf.protect()
