"""Stream uploaded files straight into the storage spool, hashing them on the way.

Werkzeug asks the request for a file stream for every file part; ours writes to a file
in STORAGE_DIR (same filesystem as the job folders, so adopting it is a rename) and
computes the SHA-256 the idempotency check needs, without holding the file in memory.
"""

from __future__ import annotations

import hashlib
import tempfile
from typing import IO, Any

from flask import Request, current_app


class HashingSpoolFile:
    """A named temporary file that counts and hashes what is written to it."""

    def __init__(self, folder: str) -> None:
        self._file: IO[bytes] = tempfile.NamedTemporaryFile(dir=folder, prefix="upload-", delete=False)  # noqa: SIM115 - closed at teardown
        self.name = self._file.name
        self.size = 0
        self._hash = hashlib.sha256()

    def write(self, data: bytes) -> int:
        self._hash.update(data)
        self.size += len(data)
        return self._file.write(data)

    def hexdigest(self) -> str:
        return self._hash.hexdigest()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._file, name)


class SpoolingRequest(Request):
    """The app's request class: file parts go to the storage spool."""

    def _get_file_stream(
        self,
        total_content_length: int | None,
        content_type: str | None,
        filename: str | None = None,
        content_length: int | None = None,
    ) -> IO[bytes]:
        spool = HashingSpoolFile(str(current_app.extensions["storage"].spool))
        self.spooled_files.append(spool)
        return spool  # type: ignore[return-value]

    @property
    def spooled_files(self) -> list[HashingSpoolFile]:
        """Every file this request spooled; the app deletes what no job adopted."""
        if "_spooled" not in self.__dict__:
            self.__dict__["_spooled"] = []
        return self.__dict__["_spooled"]
