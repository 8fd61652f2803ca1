"""Security headers on every response: a strict CSP (no inline script or style) and friends.

One loosening, asked for per response: a page that calls ``allow_inline_styles()`` (only the
API docs page, whose vendored viewer makes ``<style>`` elements and style attributes, some of
them without a nonce) gets ``style-src 'self' 'unsafe-inline'``. Scripts stay ``'self'`` on
every page, so no injected markup can run.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import urlsplit

from flask import Response, g, has_request_context, request

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src {styles}; img-src {images}; "
    "connect-src {connect}; media-src 'self'; object-src 'none'; base-uri 'none'; "
    "form-action 'self'; frame-ancestors 'none'"
)


HSTS_SECONDS = 365 * 24 * 3600  # browsers keep to HTTPS for a year after an HTTPS answer
STRICT_STYLES = "'self'"
INLINE_STYLES = "'self' 'unsafe-inline'"  # only for responses that call allow_inline_styles()


def allow_inline_styles() -> None:
    """Let this response's page use inline styles (its scripts stay 'self')."""
    g.inline_styles = True


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
    policies = {
        styles: CONTENT_SECURITY_POLICY.format(
            styles=styles, connect=" ".join(["'self'", *store]), images=" ".join(["'self'", "data:", *store])
        )
        for styles in (STRICT_STYLES, INLINE_STYLES)
    }

    def add_security_headers(response: Response) -> Response:
        headers = response.headers
        inline = has_request_context() and g.get("inline_styles", False)
        headers.setdefault("Content-Security-Policy", policies[INLINE_STYLES if inline else STRICT_STYLES])
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
