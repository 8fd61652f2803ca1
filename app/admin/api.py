"""``/api/admin/...``: the console's JSON face (bodies in docs/api.md and ``app/admin/openapi.py``)."""

from __future__ import annotations

from typing import Any

from flask import Response, jsonify, request

from app.admin import bp, jobs, keys, status
from app.api.incoming import small_json_body
from app.api.responses import job_body
from app.auth.keys import all_keys, create_key, owner_of_hash, revoke_key
from app.extensions import redis_client
from app.jobs import intake, usage
from app.jobs.models import Job
from app.jobs.queue import QUEUE_NAMES
from app.problems import Problem
from app.timeutil import rfc3339, utcnow

PREFIX = "/api/admin"


@bp.get(f"{PREFIX}/queues")
def queues() -> Response:
    return jsonify({"queues": status.queues(redis_client())})


@bp.get(f"{PREFIX}/workers")
def workers() -> Response:
    return jsonify({"workers": status.workers(redis_client())})


@bp.post(f"{PREFIX}/queues/<name>/pause")
def pause(name: str) -> Response:
    return jsonify(set_paused(name, True))


@bp.post(f"{PREFIX}/queues/<name>/resume")
def resume(name: str) -> Response:
    return jsonify(set_paused(name, False))


def set_paused(name: str, paused: bool) -> dict[str, Any]:
    """Pause or resume a queue's intake; the queue as it now stands (404 for an unknown name)."""
    if name not in QUEUE_NAMES:
        raise Problem(404, "not_found", f"there is no queue {name!r} (queues: {', '.join(QUEUE_NAMES)})")
    redis = redis_client()
    (intake.pause if paused else intake.resume)(redis, name)
    return status.queue_state(redis, name, intake.paused(redis))


@bp.get(f"{PREFIX}/jobs")
def list_jobs() -> Response:
    chosen, limit = jobs.parse_listing(request.args.get("status"), request.args.get("limit"))
    return jsonify({"status": chosen, "jobs": [listed(job) for job in jobs.jobs_in(chosen, limit)]})


@bp.post(f"{PREFIX}/jobs/<job_id>/retry")
def retry(job_id: str) -> tuple[Response, int]:
    return jsonify(listed(jobs.retry(job_id))), 202


def listed(job: Job) -> dict[str, Any]:
    """A job as the console lists it: its owner, and the contract's job object (links absolute)."""
    return {"owner": job.owner, "job": job_body(job)}


@bp.post(f"{PREFIX}/jobs/retry-failed")
def retry_failed() -> Response:
    return jsonify(jobs.retry_failed())


@bp.get(f"{PREFIX}/keys")
def list_keys() -> Response:
    return jsonify({"keys": [keys.key_body(row) for row in all_keys()]})


@bp.post(f"{PREFIX}/keys")
def new_key() -> tuple[Response, int]:
    body = small_json_body()
    if not isinstance(body, dict):
        raise Problem(
            400,
            "malformed_json",
            "send a JSON object: name, and max_concurrent_jobs and monthly_minutes if any",
        )
    row, secret = create_key(*keys.parse_new_key(body, strict=True))
    return jsonify({**keys.key_body(row), "key": secret}), 201


@bp.delete(f"{PREFIX}/keys/<int:key_id>")
def revoke(key_id: int) -> Response:
    row = revoke_key(key_id)
    if row is None:
        raise Problem(404, "not_found", f"there is no key {key_id}")
    return jsonify(keys.key_body(row))


@bp.get(f"{PREFIX}/usage")
def usage_report() -> Response:
    return jsonify(usage_body())


def usage_body() -> dict[str, Any]:
    """Each owner's use over 24 hours and 30 days, with the key it stands for (if a stored one)."""
    names = {owner_of_hash(row.key_hash): {"id": row.id, "name": row.name} for row in all_keys()}
    owners = [
        {"owner": owner, "key": names.get(owner), **windows} for owner, windows in usage.per_owner().items()
    ]
    return {"generated_at": rfc3339(utcnow()), "owners": owners}
