"""Where a client gets a job's stored object: a file of this host, or a presigned URL of the store."""

from __future__ import annotations

from flask import request
from werkzeug.http import parse_range_header

from app.problems import Problem
from app.storage import LocalFile, MissingObject, Redirect, job_storage


def locate(key: str, download_name: str, content_type: str, missing: Problem) -> LocalFile | Redirect:
    """How to serve ``key``; ``missing`` when no such object is stored (a StorageError when the
    store is away: the API answers it 503)."""
    try:
        return job_storage().serve(key, download_name, content_type)
    except MissingObject as exc:
        raise missing from exc


def ignore_unreadable_range() -> None:
    """A Range header that is not one byte range is ignored (RFC 9110, 14.2): the whole file,
    not the 416 Werkzeug answers it with (it serves one range only; a server may ignore the
    header). 416 stays for a byte range past the end."""
    given = request.environ.get("HTTP_RANGE")
    if given is None:
        return
    parsed = parse_range_header(given)
    if parsed is None or parsed.units != "bytes" or len(parsed.ranges) > 1:  # "MUST ignore" another unit
        del request.environ["HTTP_RANGE"]
