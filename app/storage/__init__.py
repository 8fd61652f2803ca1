"""Where a job's bytes live: one small interface and two backends.

``file:///path`` keeps them in a folder (one machine); ``s3://bucket/prefix`` in any
S3-compatible store that every web and worker host reaches. Nothing above this package
knows which one runs. A host's own disk is used only through ``scratch`` folders.
"""

from __future__ import annotations

from typing import Any

from flask import current_app

from app.storage.base import LocalFile, MissingObject, Readable, Redirect, Storage, StorageError, StorageFull

__all__ = [
    "FRAME_SIDES",
    "LocalFile",
    "MissingObject",
    "Readable",
    "Redirect",
    "Storage",
    "StorageError",
    "StorageFull",
    "frame_key",
    "input_key",
    "job_prefix",
    "job_storage",
    "open_storage",
    "output_key",
    "poster_key",
    "seekable_key",
    "segment_key",
    "segments_prefix",
]


def job_prefix(job_id: str) -> str:
    """Every object of one job starts with this; client file names are never part of a key."""
    return f"jobs/{job_id}/"


def input_key(job_id: str) -> str:
    return job_prefix(job_id) + "input"


def output_key(job_id: str) -> str:
    return job_prefix(job_id) + "output.mp4"


def segment_key(job_id: str, number: int, claim: str | None) -> str:
    """One encoded segment of a split job (video only), until the join; under the job's prefix.
    ``claim``: which claim of it encoded it (``app.jobs.segments.Claim.token``), so a worker
    whose claim lapsed while it ran never writes over the file of the one that took it (None:
    a segment stored before claims named their files)."""
    return segments_prefix(job_id) + (f"{number:05d}-{claim}.mp4" if claim else f"{number:05d}.mp4")


def seekable_key(job_id: str) -> str:
    """A split job's input video remuxed where its own seeks read much (helpers read this one
    in place), until the join; under the segments' prefix, so it goes with them."""
    return segments_prefix(job_id) + "seekable.mkv"


def segments_prefix(job_id: str) -> str:
    return job_prefix(job_id) + "segments/"


def poster_key(job_id: str) -> str:
    """The job's poster: one representative frame, a JPEG (under the prefix: deleted with the job)."""
    return job_prefix(job_id) + "poster.jpg"


FRAME_SIDES = ("original", "result")  # the two compare frames: the same moment of each


def frame_key(job_id: str, side: str) -> str:
    """One of the job's two compare frames (``side`` is one of FRAME_SIDES), a JPEG."""
    if side not in FRAME_SIDES:
        raise ValueError(f"not a compare frame: {side!r}")
    return job_prefix(job_id) + f"frames/{side}.jpg"


def open_storage(config: dict[str, Any]) -> Storage:
    """The backend STORAGE_URL names."""
    url: str = config["STORAGE_URL"]
    if url.startswith("s3://"):
        from app.storage.s3 import S3Storage

        return S3Storage.from_url(
            url,
            endpoint_url=config["S3_ENDPOINT_URL"],
            public_endpoint_url=config["S3_PUBLIC_ENDPOINT_URL"],
            region=config["AWS_REGION"],
        )
    from app.storage.local import LocalStorage

    return LocalStorage.from_url(url)


def job_storage() -> Storage:
    """The current app's storage."""
    storage: Storage = current_app.extensions["storage"]
    return storage
