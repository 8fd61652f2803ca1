"""The upload page, its row fragments, and its live WebSocket."""

from flask import Blueprint

bp = Blueprint("page", __name__)

from app.page import routes  # noqa: E402,F401
