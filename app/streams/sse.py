"""``GET /api/jobs/{id}/events``: the job as Server-Sent Events, ending after the terminal one
(or after ``event: deleted``)."""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator

from flask import Response, request, stream_with_context

from app import metrics
from app.auth import current_owner, request_credential
from app.events.fanout import after_last_message
from app.extensions import release_database
from app.jobs.document import absolute_json, is_deleted
from app.jobs.queries import get_owned
from app.jobs.watch import Revoked, watch
from app.streams import bp
from app.units import whole_number
from app.urls import base_url

RECONNECT_MILLISECONDS = 2000


@bp.get("/jobs/<job_id>/events")
def job_events(job_id: str) -> Response:
    job = get_owned(current_owner(), job_id)
    last_seen = _last_event_id()
    if last_seen > job.version:  # no event of this job's: its stream would skip every one to come
        last_seen = 0
    if job.terminal and last_seen >= (job.terminal_version or job.version):
        return Response(status=204)  # tells a reconnecting EventSource to stop (it saw the end)
    base, credential = base_url(), request_credential()
    release_database()  # the stream holds no connection while it waits

    def stream() -> Iterator[str]:
        with metrics.connection("sse"), contextlib.suppress(Revoked):  # its key revoked: it just ends
            yield f"retry: {RECONNECT_MILLISECONDS}\n\n"
            for doc in watch(job_id, after_version=last_seen, credential=credential):
                if doc is None:
                    yield ": keep-alive\n\n"
                elif is_deleted(doc):
                    yield f"event: deleted\ndata: {json.dumps(doc, separators=(',', ':'))}\n\n"
                else:
                    data = absolute_json(doc, base)
                    yield f"event: job\nid: {doc['version']}\ndata: {data}\n\n"
            after_last_message()

    headers = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}
    return Response(stream_with_context(stream()), mimetype="text/event-stream", headers=headers)


def _last_event_id() -> int:
    raw = request.headers.get("Last-Event-ID", "").strip()
    return whole_number(raw) or 0
