"""Where a client gets a job's stored object: a file of this host, or a presigned URL of the store."""

from __future__ import annotations

from app.problems import Problem
from app.storage import LocalFile, MissingObject, Redirect, job_storage


def locate(key: str, download_name: str, content_type: str, missing: Problem) -> LocalFile | Redirect:
    """How to serve ``key``; ``missing`` when no such object is stored (a StorageError when the
    store is away: the API answers it 503)."""
    try:
        return job_storage().serve(key, download_name, content_type)
    except MissingObject as exc:
        raise missing from exc
