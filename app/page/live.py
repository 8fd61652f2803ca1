"""``/page/ws``: the page's WebSocket. Sends row fragments that HTMX swaps out-of-band by id.

On connect it sends the rows of the newest jobs (so nothing between page load and
subscription is missed), then one fragment per change of any of the session's jobs.
"""

from __future__ import annotations

from functools import partial

from flask import abort, render_template, request
from markupsafe import escape
from simple_websocket import Server
from wsproto.frame_protocol import CloseReason

from app import metrics
from app.auth import cross_site, page_owner, request_credential
from app.events.fanout import send_shared
from app.events.hub import current_hub
from app.events.memo import memoized
from app.events.subscription import RESYNC, REVOKED, Subscription
from app.extensions import db, sock
from app.jobs.document import JobUpdate, is_deleted
from app.jobs.watch import HEARTBEAT_SECONDS
from app.page import bp
from app.page.routes import recent_documents
from app.problems import Problem

ROW = "page-row"  # the key of a document's row fragment among its shared renders


@bp.before_request
def _same_origin_socket_only() -> None:
    """Refuse cross-site WebSocket handshakes (the cookie would otherwise ride along)."""
    if request.endpoint != "page.page_socket":
        return
    if cross_site():
        abort(403)
    try:
        page_owner()  # signed in where keys exist; a session of its own elsewhere
    except Problem:
        abort(403)


@sock.route("/page/ws", bp=bp)
def page_socket(ws: Server) -> None:
    owner = page_owner()
    hub = current_hub()
    subscription = hub.subscribe(owner=owner, credential=request_credential())
    try:
        with metrics.connection("page"):
            _send_all(ws, subscription, owner)
            while True:
                message = subscription.get(HEARTBEAT_SECONDS)
                if message is None:
                    if not ws.connected:
                        return
                elif message is REVOKED:  # the key this session signed in with
                    ws.close(reason=CloseReason.POLICY_VIOLATION, message="the API key was revoked")
                    return
                elif message is RESYNC:
                    _send_all(ws, subscription, owner)
                else:
                    doc = message["job"]
                    send_shared(ws, doc, ROW, memoized(doc, ROW, partial(_row, doc)))
    finally:
        hub.unsubscribe(subscription)


def _send_all(ws: Server, subscription: Subscription, owner: str) -> None:
    try:
        docs = recent_documents(owner)
    finally:
        db.session.remove()  # hold no read transaction while the socket idles
    for doc in docs:
        subscription.seen(doc["id"], doc["version"])
    if docs:  # no rows: nothing to swap (an empty fragment would make HTMX log an error)
        ws.send("".join(_row(doc) for doc in docs))


def _row(doc: JobUpdate) -> str:
    """The row as an out-of-band swap; for a deleted job, a swap that removes it."""
    if is_deleted(doc):
        return f'<tr id="job-{escape(doc["id"])}" hx-swap-oob="delete"></tr>'
    return render_template("_row.html", job=doc, oob=True)
