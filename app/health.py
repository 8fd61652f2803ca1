"""Liveness and readiness for the platform's router and the operator."""

from __future__ import annotations

from flask import Blueprint, Response, jsonify
from redis.exceptions import RedisError
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from app.extensions import db, redis_client
from app.storage import StorageError, job_storage

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz() -> Response:
    """200 while the process serves requests."""
    return jsonify({"status": "ok"})


@bp.get("/readyz")
def readyz() -> tuple[Response, int]:
    """200 when the database, Redis and the file store answer, else 503 naming what does not."""
    checks = {"database": "ok", "redis": "ok", "storage": "ok"}
    try:
        db.session.execute(text("SELECT 1"))
    except SQLAlchemyError as exc:
        checks["database"] = f"unavailable: {type(exc).__name__}"
    finally:
        db.session.remove()
    try:
        redis_client().ping()
    except RedisError as exc:
        checks["redis"] = f"unavailable: {type(exc).__name__}"
    try:
        job_storage().check()
    except StorageError as exc:
        checks["storage"] = f"unavailable: {exc}"
    ready = all(value == "ok" for value in checks.values())
    return jsonify({"status": "ready" if ready else "not ready", "checks": checks}), 200 if ready else 503
