"""Receiving a request body without holding anything a slow client could starve others of.

While an upload streams in, the request holds no database connection (it is handed back
first) and no Redis connection (its slot is a key, not a connection); it holds one of its
client's MAX_UPLOADS_PER_CLIENT slots, and it is dropped after UPLOAD_IDLE_TIMEOUT_SECONDS
without a byte.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, cast

from flask import current_app, request

from app.api.slots import UploadSlot
from app.api.spool import SpoolingRequest
from app.auth import client_key
from app.extensions import redis_client, release_database

MAX_JSON_BYTES = 64 * 1024  # a JSON request body is options and a URL, never a file


@contextmanager
def receiving_body(owner: str) -> Iterator[UploadSlot]:
    """Hold an upload slot, release the database and bound idle reads for the body that follows."""
    release_database()
    config = current_app.config
    slot = UploadSlot(redis_client(), client_key(owner), config["MAX_UPLOADS_PER_CLIENT"]).acquire()
    sock: Any = request.environ.get("gunicorn.socket")
    before = sock.gettimeout() if sock is not None else None
    if sock is not None:
        sock.settimeout(config["UPLOAD_IDLE_TIMEOUT_SECONDS"])  # a read that waits longer fails
    # The spool renews it as bytes arrive (create_app makes every request a SpoolingRequest).
    cast(SpoolingRequest, request).upload_slot = slot
    try:
        yield slot
    finally:
        if sock is not None:
            sock.settimeout(before)
        slot.release()


def small_json_body() -> object:
    """The JSON body, refused with 413 past MAX_JSON_BYTES (it is read into memory)."""
    request.max_content_length = MAX_JSON_BYTES
    try:
        return request.get_json(silent=True)
    except RecursionError:  # nested thousands deep within the size limit: no body a client means
        return None
