"""Squeeze's own part URLs (local-folder storage), signed like a store's presigned ones.

The URL carries the upload, the store's name for its parts, the part number, its exact size
and an expiry, with an HMAC of them under SECRET_KEY: a PUT to it needs no credentials, and
checking it needs no database.
"""

from __future__ import annotations

import hashlib
import hmac
import time
from urllib.parse import urlencode

from flask import current_app

from app.problems import Problem


def _signature(upload_id: str, parts_id: str, number: int, size: int, expires: int) -> str:
    message = f"{upload_id}:{parts_id}:{number}:{size}:{expires}".encode()
    return hmac.new(current_app.config["SECRET_KEY"].encode(), message, hashlib.sha256).hexdigest()


def part_path(upload_id: str, parts_id: str, number: int, size: int, expires: int) -> str:
    """The path (with its signed query) a part is PUT to."""
    signature = _signature(upload_id, parts_id, number, size, expires)
    query = urlencode({"parts": parts_id, "size": size, "expires": expires, "signature": signature})
    return f"/api/uploads/{upload_id}/parts/{number}?{query}"


def verified(upload_id: str, number: int, args: dict[str, str]) -> tuple[str, int]:
    """The store's parts id and the part's size from a signed query; 403 if the signature is
    wrong or has expired."""
    try:
        size, expires = int(args["size"]), int(args["expires"])
        signature, parts_id = args["signature"], args["parts"]
    except (KeyError, ValueError) as exc:
        raise Problem(403, "bad_signature", "this part URL is not one the server signed") from exc
    expected = _signature(upload_id, parts_id, number, size, expires)
    if not hmac.compare_digest(signature.encode(), expected.encode()):  # bytes: any text compares
        raise Problem(403, "bad_signature", "this part URL is not one the server signed")
    if expires < time.time():
        raise Problem(403, "url_expired", "this part URL has expired; ask for the part's URL again")
    return parts_id, size
