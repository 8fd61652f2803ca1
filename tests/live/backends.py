"""The two configurations the live suite runs against.

- ``sqlite-file``: one machine: SQLite, files in a folder, plain Redis (what ``make run`` does).
- ``postgres-s3``: many machines: PostgreSQL, an S3 bucket (SeaweedFS), Redis over TLS with a
  self-signed certificate (REDIS_SSL_CERT_REQS=none), as on Heroku.
"""

from __future__ import annotations

import shutil
import uuid
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from app.storage import Storage
from app.storage.local import LocalStorage
from app.storage.s3 import S3Storage
from tests.live.servers import Postgres, SeaweedFS

BUCKET = "squeeze"
BACKENDS = ("sqlite-file", "postgres-s3")


@dataclass(frozen=True)
class Backend:
    """Where a stack keeps its records and bytes, and how it reaches Redis."""

    name: str
    postgres: Postgres | None = None
    seaweed: SeaweedFS | None = None
    tls_redis: bool = False

    def settings(self, folder: Path, schema: str | None = None) -> dict[str, str]:
        """Settings for a new stack: a database and a storage place of its own. The database is
        empty, or a copy of ``schema`` (what ``keep_schema`` kept: a migrated one)."""
        if self.postgres is None or self.seaweed is None:
            database = folder / "squeeze.sqlite3"
            if schema is not None:
                shutil.copyfile(schema, database)
            return {"DATABASE_URL": f"sqlite:///{database}", "STORAGE_URL": (folder / "storage").as_uri()}
        label = "sqz_" + uuid.uuid4().hex[:12]
        self.seaweed.create_bucket(BUCKET)
        database_url = self.postgres.create_database(label, template=schema)
        return {"DATABASE_URL": database_url, **self.seaweed.env(BUCKET, label)}

    @property
    def schema_key(self) -> str:
        """What a kept schema (``keep_schema``) is good for: this configuration, on this server."""
        return self.name if self.postgres is None else f"{self.name} {self.postgres.url('')}"

    def keep_schema(self, settings: dict[str, str], folder: Path) -> str | None:
        """A copy of the (just migrated, unused) database of ``settings``, for ``settings`` to
        copy again: a file in ``folder``, or a PostgreSQL database; None when there is none to
        copy (SQLite left a write-ahead log: the file alone is not the whole database)."""
        if self.postgres is None:
            database = Path(urlsplit(settings["DATABASE_URL"]).path)
            if database.with_name(database.name + "-wal").exists():
                return None
            return str(shutil.copyfile(database, folder / "migrated.sqlite3"))
        kept = "sqz_migrated_" + uuid.uuid4().hex[:12]
        self.postgres.create_database(kept, template=urlsplit(settings["DATABASE_URL"]).path.lstrip("/"))
        return kept

    def storage(self, settings: dict[str, str]) -> Storage:
        """The stack's storage as the test process sees it (to list and damage objects)."""
        url = settings["STORAGE_URL"]
        if self.seaweed is None:
            return LocalStorage.from_url(url)
        credentials = {
            "aws_access_key_id": self.seaweed.access_key,
            "aws_secret_access_key": self.seaweed.secret_key,
        }
        return S3Storage.from_url(url, endpoint_url=self.seaweed.endpoint, credentials=credentials)


SQLITE_FILE = Backend("sqlite-file")


def on_backend(name: str) -> pytest.MarkDecorator:
    """Run a module on one configuration only: what it checks does not depend on where records
    and bytes are kept (set as the module's ``pytestmark``)."""
    assert name in BACKENDS
    return pytest.mark.parametrize("backend", [name], indirect=True)
