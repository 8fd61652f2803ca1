"""The browser page's routes: a signed session and a CSRF token, not an API key."""

from __future__ import annotations

from typing import Any

from app.api.openapi.common import CSRF_FAILED, JOB_ID, NOT_FOUND, PUBLIC, problem

CSRF_FIELD = {"csrf_token": {"type": "string", "description": "the page's token"}}
SESSION_ONLY: list[dict[str, list[str]]] = [{"session": []}]


def _form(fields: dict[str, Any]) -> dict[str, Any]:
    """A page's form post: every field required."""
    schema = {"type": "object", "required": list(fields), "properties": fields}
    return {"required": True, "content": {"application/x-www-form-urlencoded": {"schema": schema}}}


def page_paths() -> dict[str, Any]:
    """The page, its rows, signing in and out, and the compare view."""
    return {
        "/": {
            "get": {
                "summary": "The upload page (browser session)",
                "operationId": "page",
                "security": PUBLIC,
                "tags": ["page"],
                "responses": {
                    "200": {"description": "HTML", "content": {"text/html": {}}},
                    "302": {"description": "Keys are configured and the session has not signed in"},
                },
            }
        },
        "/page/rows": {
            "get": {
                "summary": "The job table's rows (the page's polling fallback)",
                "operationId": "pageRows",
                "security": SESSION_ONLY,
                "tags": ["page"],
                "responses": {
                    "200": {"description": "HTML", "content": {"text/html": {}}},
                    "401": problem("Keys are configured and this session has not signed in"),
                },
            }
        },
        "/signin": {
            "get": {
                "summary": "The sign-in form of a deployment with keys (elsewhere: to the page)",
                "operationId": "signinForm",
                "security": PUBLIC,
                "tags": ["page"],
                "responses": {
                    "200": {"description": "HTML", "content": {"text/html": {}}},
                    "302": {"description": "No keys are configured, or already signed in: to the page"},
                },
            },
            "post": {
                "summary": "Sign the browser session in with an API key (the session becomes its owner's)",
                "operationId": "signin",
                "security": PUBLIC,
                "tags": ["page"],
                "requestBody": _form({"key": {"type": "string"}, **CSRF_FIELD}),
                "responses": {
                    "302": {"description": "No keys are configured: to the page"},
                    "303": {"description": "Signed in: to the page"},
                    "403": CSRF_FAILED,
                    "401": {"description": "Not a valid key: the form again", "content": {"text/html": {}}},
                    "429": {
                        "description": "Too many tries from this address: the form, saying how long to wait",
                        "content": {"text/html": {}},
                    },
                },
            },
        },
        "/signout": {
            "post": {
                "summary": "End the browser session",
                "operationId": "signout",
                "security": SESSION_ONLY,
                "tags": ["page"],
                "requestBody": _form(CSRF_FIELD),
                "responses": {
                    "303": {"description": "Signed out: to the sign-in form (or the page)"},
                    "403": CSRF_FAILED,
                },
            }
        },
        "/jobs/{job_id}/compare": {
            "parameters": [JOB_ID],
            "get": {
                "summary": "The compare view: the two frames under a slider, sizes, saving, quality",
                "operationId": "pageCompare",
                "security": SESSION_ONLY,
                "tags": ["page"],
                "responses": {
                    "200": {"description": "HTML", "content": {"text/html": {}}},
                    "401": problem("Keys are configured and this session has not signed in"),
                    "404": NOT_FOUND,
                },
            },
        },
    }
