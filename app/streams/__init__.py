"""Event streams for API clients: Server-Sent Events and a JSON WebSocket per job."""

from flask import Blueprint

bp = Blueprint("streams", __name__, url_prefix="/api")

from app.streams import sse, websocket  # noqa: E402,F401  (registers the routes)
