import uuid

import pytest
from flask import Flask
from sqlalchemy.exc import IntegrityError

from app.extensions import db
from app.jobs import idempotency, lifecycle
from app.jobs.models import Job
from app.problems import Problem


@pytest.fixture()
def database(both_databases: str) -> str:
    """These rules must hold on PostgreSQL exactly as on SQLite."""
    return both_databases


def _job(owner: str, key: str, fingerprint: str) -> Job:
    job = Job(id=str(uuid.uuid4()), owner=owner, input={}, options={}, idempotency_key=key,
              request_fingerprint=fingerprint)  # fmt: skip
    return lifecycle.create(job)


def test_the_same_request_again_finds_the_original(app: Flask) -> None:
    with app.app_context():
        made = _job("o", "k1", "print-a")
        assert idempotency.original("o", "k1", "print-a").id == made.id
        assert idempotency.original("other-owner", "k1", "print-a") is None, "keys are scoped per owner"
        assert idempotency.original("o", None, "print-a") is None


def test_the_same_key_for_another_request_is_422(app: Flask) -> None:
    with app.app_context():
        _job("o", "k2", "print-a")
        with pytest.raises(Problem) as refused:
            idempotency.original("o", "k2", "print-b")
        assert (refused.value.status, refused.value.code) == (422, "idempotency_key_reused")


def test_the_database_refuses_a_second_job_with_one_key(app: Flask) -> None:
    with app.app_context():
        _job("o", "k3", "print-a")
        with pytest.raises(IntegrityError):
            _job("o", "k3", "print-a")
        db.session.rollback()
        assert _job("someone-else", "k3", "print-a").idempotency_key == "k3"


def test_a_key_held_by_a_request_in_flight_is_409(app: Flask) -> None:
    with app.app_context(), idempotency.claimed("o", "k4"):
        with pytest.raises(Problem) as refused, idempotency.claimed("o", "k4"):
            pass
        assert refused.value.status == 409
    with app.app_context(), idempotency.claimed("o", "k4"):
        pass  # released after the first request ended
