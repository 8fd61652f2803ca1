"""Health checks for load balancers, and the operators' metrics."""

from __future__ import annotations

from typing import Any

from app.api.openapi.common import JSON, PUBLIC, problem, ref


def health_schemas() -> dict[str, Any]:
    """What /healthz and /readyz answer."""
    return {
        "Health": {
            "type": "object",
            "properties": {"status": {"type": "string"}, "checks": {"type": "object"}},
        },
    }


def health_paths() -> dict[str, Any]:
    """Liveness and readiness, open to anyone."""
    return {
        "/healthz": {
            "get": {
                "summary": "Liveness",
                "operationId": "healthz",
                "security": PUBLIC,
                "tags": ["health"],
                "responses": {
                    "200": {"description": "Serving", "content": {JSON: {"schema": ref("Health")}}}
                },
            }
        },
        "/readyz": {
            "get": {
                "summary": "Readiness: the database, Redis and the file store answer; the pools have room",
                "operationId": "readyz",
                "security": PUBLIC,
                "tags": ["health"],
                "responses": {
                    "200": {"description": "Ready", "content": {JSON: {"schema": ref("Health")}}},
                    "503": {"description": "Not ready", "content": {JSON: {"schema": ref("Health")}}},
                },
            }
        },
    }


def metrics_path() -> dict[str, Any]:
    """Only where METRICS_TOKEN is set: elsewhere there is no such route (404 whatever is sent)."""
    return {
        "/metrics": {
            "get": {
                "summary": "Prometheus text for operators (off unless METRICS_TOKEN is set)",
                "operationId": "metrics",
                "tags": ["health"],
                "security": [{"metricsToken": []}],
                "responses": {
                    "200": {
                        "description": "Figures of every web and worker process",
                        "content": {"text/plain": {}},
                    },
                    "401": problem("Missing or wrong METRICS_TOKEN"),
                },
            }
        },
    }
