"""The OpenAPI 3.1 document of every route, served at /api/openapi.json (and read at /api/docs).

Limits and enums come from the code that enforces them (never typed here twice), and
tests/api/test_openapi.py checks the document against the behaviour.
"""

from __future__ import annotations

from typing import Any

from flask import Response, current_app, jsonify, render_template

from app.admin.openapi import with_admin_operations
from app.api import bp
from app.api.openapi.common import JSON, PUBLIC
from app.api.openapi.health import health_paths, health_schemas, metrics_path
from app.api.openapi.jobs import job_paths
from app.api.openapi.pages import page_paths
from app.api.openapi.schemas import job_schemas
from app.api.openapi.sockets import SOCKETS_TEXT, WEBSOCKETS
from app.api.openapi.uploads import upload_paths, upload_schemas
from app.api.reference import TAGS, tagged
from app.auth.keys import keys_configured
from app.security import allow_inline_styles


@with_admin_operations  # the operators' console (app/admin/openapi.py)
def document() -> dict[str, Any]:
    """The document as this deployment serves it: its keys, limits and metrics decide parts of it."""
    config = current_app.config
    anyone: list[dict[str, list[str]]] = [] if keys_configured() else [{}]  # no keys: open
    max_upload_mb = config["MAX_UPLOAD_MB"]
    metrics = metrics_path() if config["METRICS_TOKEN"] else {}
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Squeeze",
            "version": "1.0.0",
            "description": "Compress videos in the background: submit, get 202 and a job, follow it.\n\n"
            "With API keys configured, every `/api/` request sends `Authorization: Bearer <key>`"
            " (here: Authentication, Bearer Token); a browser signed in on the page may use its session"
            " instead. Errors are RFC 9457 problem details (`application/problem+json`) with a stable"
            " `code` to branch on." + SOCKETS_TEXT,
        },
        "servers": [{"url": "/"}],
        "security": [{"bearer": []}, {"session": []}, *anyone],
        "components": {
            "securitySchemes": {
                "bearer": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "API_KEYS or `flask keys create`",
                },
                "session": {
                    "type": "apiKey",
                    "in": "cookie",
                    "name": "session",
                    "description": "The page's signed session; unsafe requests need X-CSRFToken",
                },
                "metricsToken": {"type": "http", "scheme": "bearer", "description": "METRICS_TOKEN"},
            },
            "schemas": {**job_schemas(max_upload_mb), **upload_schemas(max_upload_mb), **health_schemas()},
        },
        "tags": list(TAGS),
        "paths": tagged(
            {**job_paths(), **_docs_paths(), **page_paths(), **health_paths(), **upload_paths(), **metrics}
        ),
        "x-websockets": WEBSOCKETS,
    }


def _docs_paths() -> dict[str, Any]:
    """This document's two routes (below), for programs and for people."""
    return {
        "/api/openapi.json": {
            "get": {
                "summary": "This document",
                "operationId": "openapi",
                "security": PUBLIC,
                "responses": {"200": {"description": "OpenAPI 3.1", "content": {JSON: {}}}},
            }
        },
        "/api/docs": {
            "get": {
                "summary": "This document for people",
                "operationId": "docs",
                "security": PUBLIC,
                "responses": {"200": {"description": "HTML", "content": {"text/html": {}}}},
            }
        },
    }


@bp.get("/openapi.json")
def openapi() -> Response:
    return jsonify(document())


@bp.get("/docs")
def docs() -> str:
    """The vendored viewer (static/api-docs.js boots it) reads /api/openapi.json in the browser."""
    allow_inline_styles()  # the viewer's own <style> elements and style attributes
    return render_template("api_docs.html", keys=keys_configured())
