"""``GET /api/jobs/{id}/ws``: one job JSON per text message; closes with 1000 after the terminal one
(or after ``{"id", "deleted": true}``)."""

from __future__ import annotations

import json
from functools import partial
from typing import Any

from flask import Response, g, request
from simple_websocket import Server
from wsproto.frame_protocol import CloseReason

from app import metrics
from app.auth import current_owner, request_credential, socket_owner
from app.events.fanout import after_last_message, cooperative, send_now, send_shared
from app.extensions import release_database, sock
from app.jobs.document import absolute_json, is_deleted
from app.jobs.models import TERMINAL
from app.jobs.queries import get_owned
from app.jobs.watch import Revoked, watch
from app.problems import Problem
from app.streams import bp
from app.urls import base_url


@bp.before_request
def _own_the_job_before_the_handshake() -> None:
    """404 (as HTTP, before any upgrade) for a job that is not the caller's; 403 for another
    site's page riding on the session's cookie."""
    if request.endpoint == "streams.job_socket":
        get_owned(socket_owner(), (request.view_args or {})["job_id"])
        g.base_url, g.credential = base_url(), request_credential()
        release_database()  # the socket holds no connection while it waits


@bp.get("/jobs/<job_id>/ws")
def job_socket_asked_without_upgrade(job_id: str) -> Response:
    """A plain GET of the socket's address: as any route, the key and the job first (401,
    404), then 426 saying what to send."""
    get_owned(current_owner(), job_id)
    detail = "this is a WebSocket: send the handshake (Upgrade: websocket)"
    raise Problem(426, "upgrade_required", detail, headers={"Upgrade": "websocket", "Connection": "Upgrade"})


@sock.route("/jobs/<job_id>/ws", bp=bp)
def job_socket(ws: Server, job_id: str) -> None:
    base = g.base_url
    express = Express(ws, base) if cooperative() else None
    with metrics.connection("websocket"):
        try:
            for doc in watch(job_id, express=express, credential=g.credential):
                if doc is None:
                    if not ws.connected:
                        return
                elif is_deleted(doc):
                    ws.send(json.dumps(doc, separators=(",", ":")))
                elif express is None or doc["version"] > express.sent:
                    send_shared(ws, doc, base, absolute_json(doc, base))
        except Revoked:
            ws.close(reason=CloseReason.POLICY_VIOLATION, message="the API key was revoked")
            return
        after_last_message()
        ws.close(reason=CloseReason.NORMAL_CLOSURE)


class Express:
    """The socket's ``express``: its updates written from the hub's dispatch (see ``send_now``).

    A terminal one is written there too, the whole burst before any socket's closing work, but
    the socket's greenlet still wakes for it (``False``): it skips the send (``sent``) and closes.
    A deletion is left to the greenlet.
    """

    def __init__(self, ws: Server, base: str) -> None:
        self.ws = ws
        self.base = base
        self.sent = 0  # the last version written here

    def __call__(self, message: dict[str, Any]) -> bool:
        doc = message["job"]
        if is_deleted(doc) or not send_now(self.ws, doc, self.base, partial(absolute_json, doc, self.base)):
            return False
        self.sent = doc["version"]
        return doc["status"] not in TERMINAL
