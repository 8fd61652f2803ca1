"""``GET /metrics``: Prometheus text, for a scraper holding METRICS_TOKEN; off without one."""

from __future__ import annotations

import hmac

from flask import Blueprint, Response, abort, current_app, request
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest

from app.extensions import redis_client
from app.metrics.collect import SqueezeCollector
from app.problems import Problem

bp = Blueprint("metrics", __name__)


@bp.get("/metrics")
def metrics() -> Response:
    token: str = current_app.config["METRICS_TOKEN"]
    if not token:
        abort(404)
    scheme, _, given = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not hmac.compare_digest(given.strip().encode(), token.encode()):
        raise Problem(
            401,
            "unauthorized",
            "send METRICS_TOKEN as 'Authorization: Bearer <token>'",
            headers={"WWW-Authenticate": 'Bearer realm="metrics"'},
        )
    registry = CollectorRegistry()
    registry.register(SqueezeCollector(redis_client()))
    return Response(
        generate_latest(registry), content_type=CONTENT_TYPE_LATEST, headers={"Cache-Control": "no-store"}
    )
