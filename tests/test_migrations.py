"""The schema's migrations (``app/migrations``), run as the Procfile's release step runs them."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import fakeredis
import flask_migrate
import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from flask import Flask
from sqlalchemy import text

from app import create_app
from app.extensions import db
from tests.conftest import app_settings


@pytest.fixture
def bare_app(tmp_path: Path, both_databases: str) -> Iterator[Flask]:
    """The app on an empty database: no tables until a migration makes them."""
    app = create_app(app_settings(tmp_path, both_databases))
    app.extensions["redis"] = fakeredis.FakeRedis()
    with app.app_context():
        yield app
        db.session.remove()
        db.engine.dispose()


def _differences() -> list[object]:
    with db.engine.connect() as connection:
        return compare_metadata(MigrationContext.configure(connection), db.metadata)


def _count(table: str) -> int:
    with db.engine.connect() as connection:
        return int(connection.execute(text(f"SELECT count(*) FROM {table}")).scalar_one())


def test_the_migrations_make_the_models_schema_and_undo_it(bare_app: Flask) -> None:
    flask_migrate.upgrade()
    assert _differences() == []
    flask_migrate.downgrade(revision="base")
    assert _count("alembic_version") == 0
    flask_migrate.upgrade()
    assert _differences() == []


def test_a_downgrade_keeps_the_rows_that_hang_on_a_rebuilt_table(bare_app: Flask) -> None:
    """SQLite drops a column by building the table again; dropping the old ``jobs`` with foreign
    keys on deleted every job's segments and webhook attempts with it (ON DELETE CASCADE)."""
    flask_migrate.upgrade()
    with db.engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO jobs (id, owner, status, version, progress, attempts, starts, created_at, "
                "files_deleted, input, options, base_url) VALUES ('j1', 'o', 'running', 1, 0, 1, 1, "
                "'2026-12-07 00:00:00', false, '{}', '{}', 'http://x')"
            )
        )
        connection.execute(
            text(
                "INSERT INTO segments (job_id, number, first_frame, frames, start, duration, seek, state, "
                "attempts, progress) VALUES ('j1', 0, 0, 750, 0, 30, 0, 'done', 1, 100)"
            )
        )
        connection.execute(
            text(
                "INSERT INTO webhook_attempts (job_id, event_id, attempt, attempted_at, status_code) "
                "VALUES ('j1', 'msg_j1_1', 1, '2026-12-07 00:00:00', 200)"
            )
        )
    flask_migrate.downgrade(revision="-1")  # the last revision drops a column of ``jobs``
    assert (_count("jobs"), _count("segments"), _count("webhook_attempts")) == (1, 1, 1)
    flask_migrate.upgrade()
    assert (_count("jobs"), _count("segments"), _count("webhook_attempts")) == (1, 1, 1)
