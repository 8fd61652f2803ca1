"""The upload page, its row fragments, and its live WebSocket."""

from flask import Blueprint

from app.page import format as formatting

bp = Blueprint("page", __name__)
bp.record_once(lambda state: formatting.register(state.app))

from app.page import compare, live, routes, signin  # noqa: E402,F401  (registers the routes)
