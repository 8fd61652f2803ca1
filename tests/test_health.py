"""Readiness tells the public which part is down, never the part's own error text."""

from __future__ import annotations

import logging

import pytest
from flask import Flask
from flask.testing import FlaskClient

from app.storage import StorageError


def test_a_store_that_is_down_is_named_without_its_paths(
    app: Flask, client: FlaskClient, caplog: pytest.LogCaptureFixture
) -> None:
    secret = "/srv/private/storage: Permission denied (bucket squeeze-prod-4711)"

    def down() -> None:
        raise StorageError(secret)

    app.extensions["storage"].check = down
    with caplog.at_level(logging.WARNING):
        response = client.get("/readyz")
    assert response.status_code == 503
    assert response.get_json()["checks"]["storage"] == "unavailable: StorageError"
    assert secret not in response.get_data(as_text=True)
    assert secret in caplog.text  # the operator still learns why
    with app.app_context():
        from app.extensions import redis_client
        from app.metrics.record import PREFIX

        assert redis_client().hgetall(PREFIX + "readiness_failures")
