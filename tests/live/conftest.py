"""The live suite runs once per configuration (SQLite + files, and PostgreSQL + S3 + TLS Redis),
except modules whose checks do not depend on it (``backends.on_backend``)."""

import base64
import os
from collections.abc import Iterator

import pytest

from tests.live.backends import BACKENDS, SQLITE_FILE, Backend
from tests.live.stack import LiveStack

SECRET = "whsec_" + base64.b64encode(os.urandom(24)).decode()  # made per run, never stored


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "/live/" in str(item.fspath):
            item.add_marker(pytest.mark.slow)


@pytest.fixture(scope="session", params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> Backend:
    if request.param == "sqlite-file":
        return SQLITE_FILE
    return Backend(
        request.param, request.getfixturevalue("postgres"), request.getfixturevalue("seaweed"), tls_redis=True
    )


@pytest.fixture(scope="session")
def shared_stacks(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, LiveStack]]:
    """The shared stacks by configuration: each started when first asked for and kept to the
    end. (As a fixture parametrized by ``backend`` a stack was stopped and started again each
    time a test process's files went from one configuration to the other.)"""
    stacks: dict[str, LiveStack] = {}
    yield stacks
    for live in stacks.values():
        live.stop()


@pytest.fixture(scope="module")
def stack(
    shared_stacks: dict[str, LiveStack], tmp_path_factory: pytest.TempPathFactory, backend: Backend
) -> LiveStack:
    """One shared Squeeze per configuration: web (gunicorn+gevent), one worker, Redis."""
    if backend.name not in shared_stacks:
        shared_stacks[backend.name] = LiveStack(
            tmp_path_factory.mktemp(f"stack-{backend.name}"),
            backend=backend,
            WEBHOOK_RETRY_DELAYS="1,1,1",
            WEBHOOK_SECRET=SECRET,
        )
    return shared_stacks[backend.name]
