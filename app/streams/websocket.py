"""``GET /api/jobs/{id}/ws``: one job JSON per text message; closes with 1000 after the terminal one
(or after ``{"id", "deleted": true}``)."""

from __future__ import annotations

import json

from flask import g, request
from simple_websocket import Server
from wsproto.frame_protocol import CloseReason

from app import metrics
from app.auth import current_owner
from app.events.fanout import after_last_message, send_shared
from app.extensions import release_database, sock
from app.jobs.document import absolute_json, is_deleted
from app.jobs.queries import get_owned
from app.jobs.watch import watch
from app.streams import bp
from app.urls import base_url


@bp.before_request
def _own_the_job_before_the_handshake() -> None:
    """404 (as HTTP, before any upgrade) for a job that is not the caller's."""
    if request.endpoint == "streams.job_socket":
        get_owned(current_owner(), (request.view_args or {})["job_id"])
        g.base_url = base_url()
        release_database()  # the socket holds no connection while it waits


@sock.route("/jobs/<job_id>/ws", bp=bp)
def job_socket(ws: Server, job_id: str) -> None:
    base = g.base_url
    with metrics.connection("websocket"):
        for doc in watch(job_id):
            if doc is None:
                if not ws.connected:
                    return
            elif is_deleted(doc):
                ws.send(json.dumps(doc, separators=(",", ":")))
            else:
                send_shared(ws, doc, base, absolute_json(doc, base))
        after_last_message()
        ws.close(reason=CloseReason.NORMAL_CLOSURE)
