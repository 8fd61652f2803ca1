"""Client mistakes as RFC 9457 problem details, raised anywhere and rendered by the API layer."""

from __future__ import annotations

from http import HTTPStatus
from typing import Any

TITLES = {
    400: "Bad request",
    401: "Unauthorized",
    404: "Not found",
    405: "Method not allowed",
    408: "Request timeout",
    409: "Conflict",
    410: "Gone",
    413: "Payload too large",
    415: "Unsupported media type",
    416: "Range not satisfiable",
    422: "Unprocessable content",
    429: "Too many requests",
    503: "Service unavailable",
}


class Problem(Exception):
    """A request that cannot be served as asked: status, stable code and a sentence for people."""

    def __init__(
        self,
        status: int,
        code: str,
        detail: str,
        errors: list[dict[str, str]] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(detail)
        self.status = status
        self.code = code
        self.detail = detail
        self.errors = errors
        self.headers = headers or {}

    def body(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "type": f"https://squeeze.invalid/problems/{self.code}",
            "title": TITLES.get(self.status) or _phrase(self.status),
            "status": self.status,
            "detail": self.detail,
            "code": self.code,
        }
        if self.errors is not None:
            body["errors"] = self.errors
        return body


# The codes of refusals made by the HTTP layer itself (Werkzeug's, gunicorn's), by status.
HTTP_CODES = {
    400: "bad_request",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    413: "too_large",
    414: "uri_too_long",
    415: "unsupported_media",
    416: "range_not_satisfiable",
    417: "expectation_failed",
    431: "headers_too_large",
    501: "not_implemented",
}


def http_problem(status: int, detail: str) -> Problem:
    """A refusal of the HTTP layer's (``status``, its words) as a problem."""
    return Problem(status, HTTP_CODES.get(status, "http_error" if status < 500 else "server_error"), detail)


def invalid(errors: list[dict[str, str]]) -> Problem:
    """422 for validation failures, one entry per field."""
    detail = "; ".join(f"{e['field']}: {e['message']}" for e in errors)
    return Problem(422, "invalid_option", detail, errors=errors)


def _phrase(status: int) -> str:
    """HTTP's own name for ``status`` ("Forbidden", "Length required"), as a title is worded here."""
    try:
        return HTTPStatus(status).phrase.capitalize()
    except ValueError:
        return "Error"
