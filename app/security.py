"""Security headers on every response: a strict CSP (no inline script or style) and friends."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import urlsplit

from flask import Response, has_request_context, request

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src {images}; "
    "connect-src {connect}; media-src 'self'; object-src 'none'; base-uri 'none'; "
    "form-action 'self'; frame-ancestors 'none'"
)


HSTS_SECONDS = 365 * 24 * 3600  # browsers keep to HTTPS for a year after an HTTPS answer


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
        # Same-origin requests carry a Referer (the CSRF check over HTTPS compares it with the
        # host, as Flask-WTF does); no other site ever learns a page's address.
        headers.setdefault("Referrer-Policy", "same-origin")
        headers.setdefault("X-Frame-Options", "DENY")
        headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
        if has_request_context() and request.is_secure:  # a browser ignores it over plain HTTP
            headers.setdefault("Strict-Transport-Security", f"max-age={HSTS_SECONDS}")
        return response

    return add_security_headers
