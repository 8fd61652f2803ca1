"""Every error as problem+json: our Problems, Werkzeug's HTTP errors, and the unexpected."""

from __future__ import annotations

import json
import logging
import time

from flask import Flask, Response, request
from flask_limiter.errors import RateLimitExceeded
from flask_wtf.csrf import CSRFError
from redis.exceptions import RedisError
from sqlalchemy.exc import OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from werkzeug.exceptions import ClientDisconnected, HTTPException, RequestEntityTooLarge

from app.extensions import limiter
from app.problems import Problem, http_problem
from app.storage import StorageError
from app.units import MB

log = logging.getLogger(__name__)
BUSY_RETRY_SECONDS = 2  # a pool stayed full: connections come back within moments
UNAVAILABLE_RETRY_SECONDS = 10  # a service is down: give it time


def problem_response(problem: Problem) -> Response:
    response = Response(
        json.dumps(problem.body()), status=problem.status, mimetype="application/problem+json"
    )
    for name, value in problem.headers.items():
        response.headers[name] = value
    return response


def _busy(what: str) -> Problem:
    detail = f"the server is busy ({what}); try again in {BUSY_RETRY_SECONDS} s"
    return Problem(503, "busy", detail, headers={"Retry-After": str(BUSY_RETRY_SECONDS)})


def _unavailable(what: str) -> Problem:
    detail = f"{what} cannot be reached right now; try again in {UNAVAILABLE_RETRY_SECONDS} s"
    return Problem(503, "unavailable", detail, headers={"Retry-After": str(UNAVAILABLE_RETRY_SECONDS)})


def register(app: Flask) -> None:
    """Install the handlers on the whole app (the page's mistakes are answered the same way)."""

    @app.errorhandler(Problem)
    def _problem(problem: Problem) -> Response:
        return problem_response(problem)

    @app.errorhandler(CSRFError)
    def _csrf(error: CSRFError) -> Response:
        return problem_response(
            # Forbidden, not malformed: the request may be well formed, it is not shown to come from our page
            Problem(403, "csrf_failed", f"the page's CSRF token is missing or wrong ({error.description})")
        )

    @app.errorhandler(RequestEntityTooLarge)
    def _too_large(_error: RequestEntityTooLarge) -> Response:
        limit, length = request.max_content_length, request.content_length
        if length is not None and (limit is None or length <= limit):  # the form's own limits, not the size
            detail = (
                f"the form has more than {request.max_form_parts} parts, or a field that is not a file "
                f"holds more than {(request.max_form_memory_size or 0) // 1024} KB"
            )
            return problem_response(Problem(413, "too_large", detail))
        if limit is None or limit >= app.config["MAX_UPLOAD_MB"] * MB:
            shown = f"{app.config['MAX_UPLOAD_MB']} MB"
        else:
            shown = f"{limit // 1024} KB"
        return problem_response(Problem(413, "too_large", f"the request is larger than the {shown} limit"))

    @app.errorhandler(RateLimitExceeded)
    def _rate_limited(error: RateLimitExceeded) -> Response:
        if isinstance(error.response, Response):  # a limit that brings its own answer (a page's)
            return error.response
        current = limiter.current_limit
        wait = max(int(current.reset_at - time.time()), 1) if current else 60
        detail = f"too many submissions ({error.description}); try again in {wait} s"
        return problem_response(Problem(429, "rate_limited", detail, headers={"Retry-After": str(wait)}))

    @app.errorhandler(ClientDisconnected)
    def _body_cut_off(_error: ClientDisconnected) -> Response:
        seconds = app.config["UPLOAD_IDLE_TIMEOUT_SECONDS"]
        detail = f"the request body stopped arriving (closed, or nothing sent for {seconds} s); send it again"
        return problem_response(Problem(408, "body_interrupted", detail))

    @app.errorhandler(PoolTimeout)
    def _database_busy(_error: PoolTimeout) -> Response:
        return problem_response(_busy("every database connection of this server is in use"))

    @app.errorhandler(RedisError)
    def _redis_trouble(error: RedisError) -> Response:
        if "No connection available" in str(error):  # the pool stayed full for its timeout
            return problem_response(_busy("every Redis connection of this server is in use"))
        log.warning("Redis error in a request: %s", error)
        return problem_response(_unavailable("Redis"))

    @app.errorhandler(StorageError)
    def _storage_trouble(error: StorageError) -> Response:
        """The one answer when the file store cannot be reached (or a host's disk is full)."""
        log.warning("storage error in a request: %s", error)
        detail = f"the file store cannot be reached right now; try again in {UNAVAILABLE_RETRY_SECONDS} s"
        headers = {"Retry-After": str(UNAVAILABLE_RETRY_SECONDS)}
        return problem_response(Problem(503, "storage_unavailable", detail, headers=headers))

    @app.errorhandler(OperationalError)
    def _database_trouble(error: OperationalError) -> Response:
        log.warning("database error in a request: %s", error)
        return problem_response(_unavailable("the database"))

    @app.errorhandler(HTTPException)
    def _http(error: HTTPException) -> Response:
        response = problem_response(http_problem(error.code or 500, error.description or error.name))
        kept = error.get_response().headers  # what the status needs said: the methods, the size
        for name in ("Allow", "Content-Range"):
            if kept.get(name):
                response.headers[name] = kept[name]
        return response

    @app.errorhandler(Exception)
    def _unexpected(error: Exception) -> Response:
        log.exception("unhandled error: %s", error)
        return problem_response(
            Problem(500, "internal_error", "something went wrong on our side; it was logged")
        )
