"""Every error as problem+json: our Problems, Werkzeug's HTTP errors, and the unexpected."""

from __future__ import annotations

import json
import logging
import time

from flask import Flask, Response
from flask_limiter.errors import RateLimitExceeded
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, RequestEntityTooLarge

from app.extensions import limiter
from app.problems import Problem

log = logging.getLogger(__name__)
CODES = {
    400: "bad_request",
    404: "not_found",
    405: "method_not_allowed",
    413: "too_large",
    415: "unsupported_media",
    416: "range_not_satisfiable",
}


def problem_response(problem: Problem) -> Response:
    response = Response(
        json.dumps(problem.body()), status=problem.status, mimetype="application/problem+json"
    )
    for name, value in problem.headers.items():
        response.headers[name] = value
    return response


def register(app: Flask) -> None:
    """Install the handlers on the whole app (the page's mistakes are answered the same way)."""

    @app.errorhandler(Problem)
    def _problem(problem: Problem) -> Response:
        return problem_response(problem)

    @app.errorhandler(CSRFError)
    def _csrf(error: CSRFError) -> Response:
        return problem_response(
            Problem(400, "csrf_failed", f"the page's CSRF token is missing or wrong ({error.description})")
        )

    @app.errorhandler(RequestEntityTooLarge)
    def _too_large(_error: RequestEntityTooLarge) -> Response:
        limit = app.config["MAX_UPLOAD_MB"]
        return problem_response(Problem(413, "too_large", f"the request is larger than the {limit} MB limit"))

    @app.errorhandler(RateLimitExceeded)
    def _rate_limited(error: RateLimitExceeded) -> Response:
        current = limiter.current_limit
        wait = max(int(current.reset_at - time.time()), 1) if current else 60
        detail = f"too many submissions ({error.description}); try again in {wait} s"
        return problem_response(Problem(429, "rate_limited", detail, headers={"Retry-After": str(wait)}))

    @app.errorhandler(HTTPException)
    def _http(error: HTTPException) -> Response:
        status = error.code or 500
        code = CODES.get(status, "http_error" if status < 500 else "server_error")
        response = problem_response(Problem(status, code, error.description or error.name))
        allow = error.get_response().headers.get("Allow")
        if allow:
            response.headers["Allow"] = allow
        return response

    @app.errorhandler(Exception)
    def _unexpected(error: Exception) -> Response:
        log.exception("unhandled error: %s", error)
        return problem_response(
            Problem(500, "internal_error", "something went wrong on our side; it was logged")
        )
