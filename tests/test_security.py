"""The CSP lets the page send upload parts to, and show stills from, the object store's public origin only."""

from __future__ import annotations

from app.security import upload_origins


def test_upload_origins_follow_the_store() -> None:
    assert upload_origins({"STORAGE_URL": "file:///srv/squeeze"}) == []
    public = {"STORAGE_URL": "s3://b/p", "S3_PUBLIC_ENDPOINT_URL": "https://files.example.com:8443/x"}
    assert upload_origins(public) == ["https://files.example.com:8443"]
    assert upload_origins({"STORAGE_URL": "s3://b", "S3_PUBLIC_ENDPOINT_URL": None}) == [
        "https://*.amazonaws.com"
    ]


def test_the_page_carries_the_policy(client) -> None:  # type: ignore[no-untyped-def]
    policy = client.get("/").headers["Content-Security-Policy"]
    assert "connect-src 'self';" in policy and "script-src 'self'" in policy


def test_stills_redirected_to_the_store_may_be_shown() -> None:
    from flask import Response

    from app.security import security_headers

    public = {"STORAGE_URL": "s3://b/p", "S3_PUBLIC_ENDPOINT_URL": "https://files.example.com"}
    policy = security_headers(public)(Response()).headers["Content-Security-Policy"]
    assert "img-src 'self' data: https://files.example.com;" in policy
    assert "connect-src 'self' https://files.example.com;" in policy


def test_only_a_response_that_asks_allows_inline_styles(app) -> None:  # type: ignore[no-untyped-def]
    """allow_inline_styles() loosens style-src for its own response; scripts stay 'self'."""
    from flask import Response

    from app.security import allow_inline_styles, security_headers

    add_headers = security_headers(app.config)
    with app.test_request_context():
        strict = add_headers(Response()).headers["Content-Security-Policy"]
    with app.test_request_context():
        allow_inline_styles()
        loose = add_headers(Response()).headers["Content-Security-Policy"]
    with app.test_request_context():
        again = add_headers(Response()).headers["Content-Security-Policy"]
    assert "style-src 'self';" in strict and strict == again
    assert loose == strict.replace("style-src 'self';", "style-src 'self' 'unsafe-inline';")
    assert "script-src 'self';" in loose
