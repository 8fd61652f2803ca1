import base64
import os
from collections.abc import Iterator

import pytest

from tests.live.stack import LiveStack

SECRET = "whsec_" + base64.b64encode(os.urandom(24)).decode()  # made per run, never stored


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "/live/" in str(item.fspath):
            item.add_marker(pytest.mark.slow)


@pytest.fixture(scope="session")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveStack]:
    """One shared Squeeze for the live tests: web (gunicorn+gevent), one worker, Redis."""
    live = LiveStack(tmp_path_factory.mktemp("stack"), WEBHOOK_RETRY_DELAYS="1,1,1", WEBHOOK_SECRET=SECRET)
    yield live
    live.stop()
