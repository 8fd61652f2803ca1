"""The file:// backend: objects are files under one folder (one machine, or a shared mount)."""

from __future__ import annotations

import errno
import os
import shutil
import uuid
from pathlib import Path
from urllib.parse import unquote, urlsplit

from app.storage.base import LocalFile, MissingObject, Storage, StorageError, StorageFull


class LocalStorage(Storage):
    """Keys are relative paths under ``root``; writes land under a temporary name, then a rename."""

    def __init__(self, root: Path) -> None:
        self.root = root

    @classmethod
    def from_url(cls, url: str) -> LocalStorage:
        return cls(Path(unquote(urlsplit(url).path)))

    def path(self, key: str) -> Path:
        """Where ``key`` lives. Keys are made by the server, never by clients; still, no escaping."""
        if key.startswith("/") or ".." in Path(key).parts:
            raise ValueError(f"not a storage key: {key!r}")
        return self.root / key

    def put(self, key: str, source: Path, content_type: str | None = None, move: bool = False) -> None:
        target = self.path(key)
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            if move:
                try:
                    os.replace(source, target)  # same filesystem: a rename, no copy
                    return
                except OSError as exc:
                    if exc.errno != errno.EXDEV:
                        raise
            landing = target.with_name(f".{target.name}.{uuid.uuid4().hex}")
            shutil.copyfile(source, landing)
            os.replace(landing, target)
            if move:
                source.unlink()
        except OSError as exc:
            kind = StorageFull if exc.errno == errno.ENOSPC else StorageError
            raise kind(f"could not store {key}: {exc.strerror or exc}") from exc

    def fetch(self, key: str, folder: Path) -> Path:
        path = self.path(key)
        if not path.is_file():
            raise MissingObject(key)
        return path

    def exists(self, key: str) -> bool:
        return self.path(key).is_file()

    def delete_prefix(self, prefix: str) -> int:
        found = self.keys(prefix)
        for key in found:
            self.path(key).unlink(missing_ok=True)
        folder = self.path(prefix.rstrip("/")) if prefix.endswith("/") else None
        if folder is not None:
            shutil.rmtree(folder, ignore_errors=True)
        return len(found)

    def keys(self, prefix: str) -> list[str]:
        base = self.path(prefix.rstrip("/")) if prefix.endswith("/") else self.path(prefix).parent
        if not base.is_dir():
            return []
        found = (p.relative_to(self.root).as_posix() for p in base.rglob("*") if p.is_file())
        return sorted(key for key in found if key.startswith(prefix) and not Path(key).name.startswith("."))

    def serve(self, key: str, download_name: str, content_type: str) -> LocalFile:
        path = self.path(key)
        if not path.is_file():
            raise MissingObject(key)
        return LocalFile(path)

    def check(self) -> None:
        try:
            self.root.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StorageError(f"{self.root}: {exc.strerror or exc}") from exc
        if not os.access(self.root, os.W_OK):
            raise StorageError(f"{self.root} is not writable")
