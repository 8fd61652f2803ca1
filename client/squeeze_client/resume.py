"""Which upload a file was going into: so running the command again resumes it."""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path


class ResumeBook:
    """A small JSON file of (file, size, modification time, server) -> upload id."""

    def __init__(self, path: Path) -> None:
        self.path = path

    @classmethod
    def default(cls) -> ResumeBook:
        """``$XDG_CACHE_HOME/squeeze/uploads.json`` (``~/.cache/...`` by default)."""
        cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
        return cls(cache / "squeeze" / "uploads.json")

    @staticmethod
    def _key(file: Path, size: int, server: str = "") -> str:
        facts = f"{file.resolve()}\0{size}\0{file.stat().st_mtime_ns}\0{server}"
        return hashlib.sha256(facts.encode()).hexdigest()

    def _load(self) -> dict[str, str]:
        try:
            loaded = json.loads(self.path.read_text())
        except (OSError, ValueError):
            return {}
        return loaded if isinstance(loaded, dict) else {}

    def _save(self, entries: dict[str, str]) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        landing = self.path.with_name(f".{self.path.name}.{os.getpid()}")
        landing.write_text(json.dumps(entries))
        os.replace(landing, self.path)

    def lookup(self, file: Path, size: int, server: str) -> str | None:
        return self._load().get(self._key(file, size, server))

    def remember(self, file: Path, size: int, server: str, upload_id: str) -> None:
        entries = self._load()
        entries[self._key(file, size, server)] = upload_id
        self._save(entries)

    def forget(self, file: Path, size: int, server: str) -> None:
        entries = self._load()
        if entries.pop(self._key(file, size, server), None) is not None:
            self._save(entries)
