"""The scheme and host a request came in on (after ProxyFix applied X-Forwarded-*)."""

from __future__ import annotations

from flask import request


def base_url() -> str:
    """``https://host`` of the current request, for absolute links."""
    return request.host_url.rstrip("/")
