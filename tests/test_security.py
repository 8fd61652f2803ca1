"""The CSP lets the page send upload parts to the object store's public origin, and nowhere else."""

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
