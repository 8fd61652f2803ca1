"""The JSON API under /api: submit and follow jobs, problem details for every mistake."""

from flask import Blueprint

bp = Blueprint("api", __name__, url_prefix="/api")

from app.api import jobs, openapi, stills, submit, uploads  # noqa: E402,F401  (registers the routes)
