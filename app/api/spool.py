"""Stream uploaded files to this host's scratch disk, hashing them on the way.

Werkzeug asks the request for a file stream for every file part; ours writes to a file in
the request's own scratch folder and computes the SHA-256 the idempotency check needs,
without holding the file in memory. The folder is removed when the request ends, whatever
became of the file (a job moves it into storage first).
"""

from __future__ import annotations

import hashlib
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, cast

from flask import Request, current_app
from werkzeug.formparser import FormDataParser

from app.problems import Problem
from app.storage.scratch import ScratchFolder
from app.units import MB

if TYPE_CHECKING:
    from app.api.slots import UploadSlot


class HashingSpoolFile:
    """A named file that counts and hashes what is written to it; ``on_write`` hears of each write."""

    def __init__(self, folder: Path, on_write: Callable[[], None] | None = None) -> None:
        self._file: IO[bytes] = tempfile.NamedTemporaryFile(dir=folder, prefix="upload-", delete=False)  # noqa: SIM115 - removed with its folder
        self.name = self._file.name
        self.size = 0
        self._hash = hashlib.sha256()
        self._on_write = on_write

    def write(self, data: bytes) -> int:
        self._hash.update(data)
        self.size += len(data)
        if self._on_write is not None:
            self._on_write()
        return self._file.write(data)

    def hexdigest(self) -> str:
        return self._hash.hexdigest()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._file, name)


def _malformed(why: str) -> Problem:
    return Problem(400, "malformed_form", f"the form cannot be read: {why}")


class SpoolingRequest(Request):
    """The app's request class: file parts go to a scratch folder of this request's own."""

    upload_slot: UploadSlot | None = None  # held while the body streams in (``app.api.incoming``)

    @property
    def max_content_length(self) -> int | None:
        """The most bytes a body may have: MAX_UPLOAD_MB and room for the form's other fields,
        read at each request (so it follows the setting, however it was set), unless a route set
        a limit of its own for this request."""
        if self._max_content_length is not None:
            return self._max_content_length
        return (int(current_app.config["MAX_UPLOAD_MB"]) + 1) * MB

    @max_content_length.setter
    def max_content_length(self, value: int | None) -> None:
        self._max_content_length = value

    def make_form_data_parser(self) -> FormDataParser:
        """Werkzeug's parser, made to say when a body cannot be parsed (``_load_form_data``)."""
        parser = super().make_form_data_parser()
        parser.silent = False
        return parser

    def _load_form_data(self) -> None:
        """The form, or a ``400 malformed_form`` saying why it cannot be read: werkzeug's own
        parser gave an empty form, and the client heard that no file was sent."""
        try:
            super()._load_form_data()
        except UnicodeDecodeError as exc:
            raise _malformed("a part's headers are not UTF-8 (a file name in another encoding?)") from exc
        except ValueError as exc:
            cut_short = "cannot parse beyond" in str(exc)
            raise _malformed("it ends before its closing boundary" if cut_short else str(exc)) from exc

    def _get_file_stream(
        self,
        total_content_length: int | None,
        content_type: str | None,
        filename: str | None = None,
        content_length: int | None = None,
    ) -> IO[bytes]:
        if "_scratch" not in self.__dict__:
            self.__dict__["_scratch"] = ScratchFolder(Path(current_app.config["SCRATCH_DIR"]), "upload")
        spool = HashingSpoolFile(self.__dict__["_scratch"].path, on_write=self._still_arriving)
        self.__dict__.setdefault("_spooled", []).append(spool)
        return cast(IO[bytes], spool)  # a file by delegation (__getattr__)

    def _still_arriving(self) -> None:
        """Bytes keep coming: renew the upload's slot (``app.api.incoming``), if it holds one."""
        if self.upload_slot is not None:
            self.upload_slot.renew()

    def discard_spool(self) -> None:
        """Close the spooled files and remove the request's scratch folder (at teardown)."""
        for spooled in self.__dict__.pop("_spooled", []):
            spooled.close()
        scratch: ScratchFolder | None = self.__dict__.pop("_scratch", None)
        if scratch is not None:
            scratch.close()
