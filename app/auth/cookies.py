"""The session cookie: ``Secure`` and ``__Host-``-prefixed whenever the request came over HTTPS.

Behind a TLS-terminating proxy (ProxyFix trusts its ``X-Forwarded-Proto``) the same process
serves HTTPS; on plain HTTP (``make run`` on a laptop) a Secure cookie would never come back.
So the cookie's name and flag follow each request's scheme rather than a setting.
"""

from __future__ import annotations

from flask import Flask, request
from flask.sessions import SecureCookieSessionInterface

HOST_PREFIX = "__Host-"  # the browser binds such a cookie to this host, Secure, path / (RFC 6265bis)


class SchemeAwareSessions(SecureCookieSessionInterface):
    """Flask's signed-cookie sessions, hardened on HTTPS."""

    def get_cookie_name(self, app: Flask) -> str:
        name = super().get_cookie_name(app)
        return HOST_PREFIX + name if request.is_secure else name

    def get_cookie_secure(self, app: Flask) -> bool:
        return request.is_secure or super().get_cookie_secure(app)

    def get_cookie_domain(self, app: Flask) -> str | None:
        return None if request.is_secure else super().get_cookie_domain(app)  # __Host- forbids one
