"""Figures recorded in Redis by any process, served by any web process (fakeredis here)."""

from __future__ import annotations

import uuid

from flask import Flask
from flask.testing import FlaskClient

from app import metrics
from app.extensions import redis_client
from app.jobs import lifecycle
from app.jobs.models import Job
from app.metrics import record


def _scrape(client: FlaskClient, token: str = "t0ken") -> dict[str, float]:
    response = client.get("/metrics", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.content_type.startswith("text/plain")
    figures = {}
    for line in response.get_data(as_text=True).splitlines():
        if line and not line.startswith("#"):
            name, _, value = line.rpartition(" ")
            figures[name] = float(value)
    return figures


def test_off_without_a_token_and_refused_with_a_wrong_one(app: Flask, client: FlaskClient) -> None:
    assert client.get("/metrics").status_code == 404
    app.config["METRICS_TOKEN"] = "t0ken"
    refused = client.get("/metrics", headers={"Authorization": "Bearer nope"})
    assert refused.status_code == 401 and refused.headers["WWW-Authenticate"].startswith("Bearer")
    assert client.get("/metrics").status_code == 401


def test_histograms_counters_and_gauges(app: Flask, client: FlaskClient) -> None:
    app.config["METRICS_TOKEN"] = "t0ken"
    with app.app_context():
        for seconds in (3, 40, 45):
            metrics.observe("compression_seconds", seconds)
        metrics.observe("storage_seconds", 0.2, operation="put_input")
        job = lifecycle.create(Job(id=str(uuid.uuid4()), owner="o", input={}, options={}))
        lifecycle.start(job.id)
        lifecycle.fail(job.id, "x", "y")
        lifecycle.create(Job(id=str(uuid.uuid4()), owner="o", input={}, options={}))
        metrics.count("webhook_deliveries", outcome="delivered")
        metrics.count("webhook_deliveries", outcome="delivered")
    figures = _scrape(client)
    assert figures['squeeze_compression_seconds_bucket{le="2.0"}'] == 0
    assert figures['squeeze_compression_seconds_bucket{le="5.0"}'] == 1
    assert figures['squeeze_compression_seconds_bucket{le="60.0"}'] == 3
    assert figures['squeeze_compression_seconds_bucket{le="+Inf"}'] == 3
    assert (
        figures["squeeze_compression_seconds_sum"] == 88 and figures["squeeze_compression_seconds_count"] == 3
    )
    assert figures['squeeze_storage_seconds_count{operation="put_input"}'] == 1
    assert figures['squeeze_jobs{status="failed"}'] == 1 and figures['squeeze_jobs{status="queued"}'] == 1
    assert figures['squeeze_jobs{status="succeeded"}'] == 0
    assert figures['squeeze_jobs_finished_total{status="failed"}'] == 1
    assert figures['squeeze_webhook_deliveries_total{outcome="delivered"}'] == 2
    assert figures['squeeze_queue_depth{queue="compress"}'] == 2, "both were enqueued; no worker took one"
    assert figures['squeeze_queue_oldest_age_seconds{queue="compress"}'] >= 0


def test_open_streams_are_counted_while_open(app: Flask) -> None:
    with app.app_context():
        redis = redis_client()
        with metrics.connection("sse"), metrics.connection("sse"), metrics.connection("page"):
            assert record.read_connections(redis) == {"sse": 2, "websocket": 0, "page": 1}
            assert 0 < redis.ttl(record._connections.key) <= record.CONNECTIONS_TTL_SECONDS
        assert record.read_connections(redis) == {"sse": 0, "websocket": 0, "page": 0}
