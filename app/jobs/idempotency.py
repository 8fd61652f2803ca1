"""Idempotency-Key: the same request twice makes one job; the key is scoped per owner."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import select

from app.extensions import db, redis_client
from app.jobs.models import Job
from app.problems import Problem

MAX_KEY_LENGTH = 255
CLAIM_SECONDS = 3600  # longest a submission may take to arrive before its claim lapses


def check_key(key: str | None) -> str | None:
    if key is None:
        return None
    if not 0 < len(key) <= MAX_KEY_LENGTH or not key.isprintable():
        raise Problem(
            400,
            "invalid_idempotency_key",
            f"Idempotency-Key must be 1 to {MAX_KEY_LENGTH} printable characters",
        )
    return key


@contextmanager
def claimed(owner: str, key: str | None) -> Iterator[None]:
    """Hold ``key`` while its request is accepted; a second request meanwhile gets 409."""
    if key is None:
        yield
        return
    name = "squeeze:idempotency:" + hashlib.sha256(f"{owner}\0{key}".encode()).hexdigest()
    redis = redis_client()
    if not redis.set(name, "1", nx=True, ex=CLAIM_SECONDS):
        raise Problem(
            409, "idempotency_key_in_use", "a request with this Idempotency-Key is still being accepted"
        )
    try:
        yield
    finally:
        redis.delete(name)


def original(owner: str, key: str | None, request_fingerprint: str) -> Job | None:
    """The job an earlier identical request made, or None; 422 if the key was used differently."""
    if key is None:
        return None
    job = db.session.scalar(select(Job).where(Job.owner == owner, Job.idempotency_key == key))
    if job is None:
        return None
    if job.request_fingerprint != request_fingerprint:
        raise Problem(422, "idempotency_key_reused", "this Idempotency-Key was used for a different request")
    return job


def used(owner: str, key: str) -> bool:
    """Whether ``owner`` made a job with Idempotency-Key ``key`` already: a request with it
    answers that job (or 422) and makes no work."""
    return db.session.scalar(select(Job.id).where(Job.owner == owner, Job.idempotency_key == key)) is not None
