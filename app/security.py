"""Security headers on every response: a strict CSP (no inline script or style) and friends."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import urlsplit

from flask import Response

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src {images}; "
    "connect-src {connect}; media-src 'self'; object-src 'none'; base-uri 'none'; "
    "form-action 'self'; frame-ancestors 'none'"
)


def upload_origins(config: Mapping[str, Any]) -> list[str]:
    """The object store's public origin, where the page's upload parts go and its stills come from."""
    if not str(config.get("STORAGE_URL", "")).startswith("s3://"):
        return []
    endpoint = config.get("S3_PUBLIC_ENDPOINT_URL")
    if not endpoint:
        return ["https://*.amazonaws.com"]  # AWS itself: bucket-named hosts
    parts = urlsplit(endpoint)
    return [f"{parts.scheme}://{parts.netloc}"]


def security_headers(config: Mapping[str, Any]) -> Callable[[Response], Response]:
    """The after-request hook for this configuration."""
    store = upload_origins(config)  # upload parts go there, and stills are redirected there
    policy = CONTENT_SECURITY_POLICY.format(
        connect=" ".join(["'self'", *store]), images=" ".join(["'self'", "data:", *store])
    )

    def add_security_headers(response: Response) -> Response:
        headers = response.headers
        headers.setdefault("Content-Security-Policy", policy)
        headers.setdefault("X-Content-Type-Options", "nosniff")
        headers.setdefault("Referrer-Policy", "no-referrer")
        headers.setdefault("X-Frame-Options", "DENY")
        headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
        return response

    return add_security_headers
