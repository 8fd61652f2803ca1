"""The storage interface every backend implements, and what its operations return."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from unicodedata import normalize
from urllib.parse import quote

from werkzeug.datastructures import Headers


class StorageError(Exception):
    """The store could not be reached or refused the operation (worth retrying later)."""


class MissingObject(StorageError):
    """No object under that key (deleted by retention, or never stored)."""


class StorageFull(StorageError):
    """The disk the store (or a download from it) writes to is full."""


@dataclass(frozen=True)
class LocalFile:
    """Serve this file from this host (the file:// backend)."""

    path: Path


@dataclass(frozen=True)
class Redirect:
    """Send the client to this time-limited URL of the store (the S3 backend)."""

    url: str


@dataclass(frozen=True)
class Readable:
    """Where a reader finds an object's bytes without copying them: the stored file (a local
    folder), or a time-limited URL of the store that answers byte ranges (S3); and its size."""

    location: Path | str  # a str is the URL
    size: int


class Storage(ABC):
    """Objects under string keys (``jobs/<id>/input``), whatever holds them."""

    @abstractmethod
    def put(self, key: str, source: Path, content_type: str | None = None, move: bool = False) -> None:
        """Store the file at ``source`` under ``key``; with ``move`` the local file is gone after."""

    @abstractmethod
    def fetch(self, key: str, folder: Path) -> Path:
        """A local path with the object's bytes, to read only: the stored file itself when the
        store is a local folder, else a download into ``folder``. MissingObject if absent."""

    @abstractmethod
    def readable(self, key: str, seconds: int) -> Readable:
        """Where the object is read in place, for ``seconds`` at least. MissingObject if absent."""

    @abstractmethod
    def exists(self, key: str) -> bool:
        """True if an object is stored under ``key``."""

    @abstractmethod
    def delete_prefix(self, prefix: str) -> int:
        """Delete every object whose key starts with ``prefix``; how many there were."""

    @abstractmethod
    def keys(self, prefix: str) -> list[str]:
        """The keys that start with ``prefix``, sorted."""

    @abstractmethod
    def serve(self, key: str, download_name: str, content_type: str) -> LocalFile | Redirect:
        """How a client gets the object: a local file to send, or a presigned URL of the store."""

    @abstractmethod
    def check(self) -> None:
        """Raise StorageError unless the store answers (readiness)."""

    # Uploads in parts (resumable uploads): the object under ``key`` is assembled from numbered
    # parts that may arrive in any order, more than once, over days; ``upload_id`` names the lot.

    @abstractmethod
    def start_parts(self, key: str, size: int, part_size: int) -> str:
        """Begin an upload in parts of the object ``key``, ``size`` bytes in parts of ``part_size``
        (the last one the rest); its upload id."""

    @abstractmethod
    def part_url(self, key: str, upload_id: str, number: int, seconds: int, size: int) -> str | None:
        """A presigned URL the client PUTs part ``number`` to, valid ``seconds``, for exactly
        ``size`` bytes (the store refuses another length); None when the parts go through
        Squeeze itself (``write_part``)."""

    @abstractmethod
    def write_part(
        self, key: str, upload_id: str, number: int, read: Callable[[int], bytes], size: int
    ) -> None:
        """Store part ``number`` from ``read`` (``size`` bytes, as ``start_parts`` laid them
        out); it counts only once whole, and a part sent again replaces it (it stops counting
        until the new one is whole). Only for stores whose ``part_url`` is None."""

    @abstractmethod
    def parts(self, key: str, upload_id: str) -> dict[int, int]:
        """The parts that arrived whole: number -> size in bytes."""

    @abstractmethod
    def join_parts(self, key: str, upload_id: str, sizes: dict[int, int]) -> None:
        """Make the object ``key`` from the parts numbered in ``sizes``, in order (every part, 1
        to the last, for the local store, which keeps them in place); the parts are gone after.
        MissingObject if a part is not there whole, of its size in ``sizes``, checked on the
        very listing the join uses (a part sent again meanwhile is not taken unchecked)."""

    @abstractmethod
    def abort_parts(self, key: str, upload_id: str) -> None:
        """Drop every part of the upload (nothing of it is left in the store)."""

    @abstractmethod
    def head_copy(self, key: str, folder: Path, size: int) -> Path:
        """A local file that reads like the object for a header probe: the object itself when it
        is local, else a sparse copy of its first and last megabytes (where containers keep
        their headers) in ``folder``."""


def attachment(download_name: str) -> str:
    """``Content-Disposition: attachment`` for a name, as Flask's send_file writes it (RFC 6266/5987)."""
    try:
        download_name.encode("ascii")
        names = {"filename": download_name}
    except UnicodeEncodeError:
        simple = normalize("NFKD", download_name).encode("ascii", "ignore").decode("ascii")
        names = {"filename": simple, "filename*": "UTF-8''" + quote(download_name, safe="!#$&+-.^_`|~")}
    headers = Headers()
    headers.set("Content-Disposition", "attachment", **names)
    return headers["Content-Disposition"]
