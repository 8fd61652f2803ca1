"""Liveness and readiness for the platform's router and the operator."""

from __future__ import annotations

import logging

from flask import Blueprint, Response, current_app, jsonify
from redis.exceptions import RedisError
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from app import metrics
from app.extensions import db, redis_client
from app.metrics.pools import pool_usage
from app.storage import StorageError, job_storage

bp = Blueprint("health", __name__)
log = logging.getLogger(__name__)


@bp.get("/healthz")
def healthz() -> Response:
    """200 while the process serves requests."""
    return jsonify({"status": "ok"})


@bp.get("/readyz")
def readyz() -> tuple[Response, int]:
    """200 when the database, Redis and the file store answer and the pools have room, else 503.

    An exhausted pool is reported from its counters, without waiting for a connection.
    """
    checks = {"database": "ok", "redis": "ok", "storage": "ok"}
    usage = pool_usage(current_app)
    for name, (in_use, most) in usage.items():
        if in_use >= most:
            checks[name] = f"busy: all {most} connections of this process are in use"
    if checks["database"] == "ok":
        try:
            db.session.execute(text("SELECT 1"))
        except SQLAlchemyError as exc:
            log.warning("readiness: the database is unavailable: %s", exc)
            checks["database"] = f"unavailable: {type(exc).__name__}"
        finally:
            db.session.remove()
    if checks["redis"] == "ok":
        try:
            redis_client().ping()
        except RedisError as exc:
            log.warning("readiness: Redis is unavailable: %s", exc)
            checks["redis"] = f"unavailable: {type(exc).__name__}"
    try:
        job_storage().check()
    except StorageError as exc:  # its text names paths and buckets: for the log, not the public
        log.warning("readiness: the file store is unavailable: %s", exc)
        checks["storage"] = f"unavailable: {type(exc).__name__}"
    for name, state in checks.items():
        if state != "ok":
            metrics.count("readiness_failures", check=name, state=state.split(":")[0])
    ready = all(value == "ok" for value in checks.values())
    body: dict[str, object] = {"status": "ready" if ready else "not ready", "checks": checks}
    body["pools"] = {name: {"in_use": in_use, "size": most} for name, (in_use, most) in usage.items()}
    return jsonify(body), 200 if ready else 503
