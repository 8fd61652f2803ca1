"""Who is asking: API keys, browser sessions, and the owner every job belongs to."""

from app.auth.owner import (
    ANONYMOUS,
    client_key,
    cross_site,
    current_owner,
    page_owner,
    rate_key,
    request_credential,
    request_owner,
    revoked_problem,
    sign_in,
    sign_out,
    signed_in_owner,
    socket_owner,
)

__all__ = [
    "ANONYMOUS",
    "client_key",
    "cross_site",
    "current_owner",
    "page_owner",
    "rate_key",
    "request_credential",
    "request_owner",
    "revoked_problem",
    "sign_in",
    "sign_out",
    "signed_in_owner",
    "socket_owner",
]
