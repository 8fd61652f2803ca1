"""``/admin``: the console page, the fragments it polls, and its buttons (HTMX, HTML answers).

Each action calls what ``/api/admin/...`` calls and answers with the fragment it changed.
"""

from __future__ import annotations

from typing import Any

from flask import Response, render_template, request

from app.admin import bp, jobs, keys, status
from app.admin.api import set_paused, usage_body
from app.auth.keys import all_keys, create_key, revoke_key
from app.extensions import redis_client
from app.jobs.models import FAILED
from app.problems import Problem


def fragment(template: str, **context: Any) -> Response:
    html = render_template(f"admin/{template}", **context)
    return Response(html, mimetype="text/html", headers={"Cache-Control": "no-store"})


@bp.get("/admin")
def console() -> str:
    return render_template(
        "admin/console.html",
        queues=status.queues(redis_client()),
        workers=status.workers(redis_client()),
        failed=jobs.jobs_in(FAILED),
        keys=[keys.key_body(row) for row in all_keys()],
        usage=usage_body(),
        created=None,
    )


@bp.get("/admin/fragments/queues")
def queues_fragment() -> Response:
    return fragment("_queues.html", queues=status.queues(redis_client()))


@bp.get("/admin/fragments/workers")
def workers_fragment() -> Response:
    return fragment("_workers.html", workers=status.workers(redis_client()))


@bp.get("/admin/fragments/failed")
def failed_fragment() -> Response:
    return fragment("_failed.html", failed=jobs.jobs_in(FAILED), outcome=None)


@bp.get("/admin/fragments/usage")
def usage_fragment() -> Response:
    return fragment("_usage.html", usage=usage_body())


@bp.post("/admin/queues/<name>/<action>")
def queue_action(name: str, action: str) -> Response:
    if action not in ("pause", "resume"):
        raise Problem(404, "not_found", f"a queue can be paused or resumed, not {action!r}")
    set_paused(name, action == "pause")
    return queues_fragment()


@bp.post("/admin/jobs/<job_id>/retry")
def retry_one(job_id: str) -> Response:
    job = jobs.retry(job_id)
    return fragment("_failed.html", failed=jobs.jobs_in(FAILED), outcome=f"Job {job.id} is queued again.")


@bp.post("/admin/jobs/retry-failed")
def retry_all() -> Response:
    done = jobs.retry_failed()
    outcome = f"{len(done['retried'])} queued again" + (
        f", {len(done['skipped'])} skipped." if done["skipped"] else "."
    )
    return fragment("_failed.html", failed=jobs.jobs_in(FAILED), outcome=outcome)


@bp.post("/admin/keys")
def create_one() -> Response:
    row, secret = create_key(*keys.parse_new_key(request.form))
    created = {**keys.key_body(row), "key": secret}
    return fragment("_keys.html", keys=[keys.key_body(row) for row in all_keys()], created=created)


@bp.post("/admin/keys/<int:key_id>/revoke")
def revoke_one(key_id: int) -> Response:
    if revoke_key(key_id) is None:
        raise Problem(404, "not_found", f"there is no key {key_id}")
    return fragment("_keys.html", keys=[keys.key_body(row) for row in all_keys()], created=None)
