"""Where a client gets a job's stored object: a file of this host, or a presigned URL of the store."""

from __future__ import annotations

from app.problems import Problem
from app.storage import LocalFile, MissingObject, Redirect, StorageError, job_storage

STORE_RETRY_SECONDS = 10


def locate(key: str, download_name: str, content_type: str, missing: Problem) -> LocalFile | Redirect:
    """How to serve ``key``; ``missing`` when no such object is stored, 503 when the store is away."""
    try:
        return job_storage().serve(key, download_name, content_type)
    except MissingObject as exc:
        raise missing from exc
    except StorageError as exc:
        raise Problem(503, "storage_unavailable", "the file store cannot be reached right now; try again",
                      headers={"Retry-After": str(STORE_RETRY_SECONDS)}) from exc  # fmt: skip
