"""The job routes: status monitor (with long poll), list, output, cancel, delete."""

from __future__ import annotations

import time

from flask import Response, jsonify, redirect, request, send_file

from app.api import bp
from app.api.responses import etag_of, job_body, job_response
from app.auth import current_owner
from app.extensions import release_database
from app.jobs import retention
from app.jobs.models import SUCCEEDED, Job
from app.jobs.queries import DEFAULT_LIMIT, get_owned, list_owned
from app.jobs.watch import watch
from app.problems import Problem, invalid
from app.storage import MissingObject, Redirect, StorageError, job_storage, output_key
from app.urls import base_url

MAX_WAIT_SECONDS = 60
OUTPUT_TYPE = "video/mp4"


@bp.get("/jobs/<job_id>")
def status(job_id: str) -> Response:
    """The status monitor: always 200 with the job; ETag, conditional GET and long poll."""
    owner = current_owner()
    job = get_owned(owner, job_id)
    wait = _preferred_wait()
    known = _version_in(request.headers.get("If-None-Match", ""))
    if wait is not None:
        release_database()  # the wait holds no connection; the re-read takes one briefly
        _wait_for_change(job, known if known is not None else job.version, wait)
        job = get_owned(owner, job_id)
    if request.headers.get("If-None-Match") in (etag_of(job), "*"):
        response = Response(status=304)
        response.headers["ETag"] = etag_of(job)
    else:
        response = job_response(job)
    if wait is not None:
        response.headers["Preference-Applied"] = f"wait={wait}"
    return response


def _preferred_wait() -> int | None:
    for preference in request.headers.get("Prefer", "").split(","):
        name, _, value = preference.strip().partition("=")
        if name.strip().lower() == "wait":
            try:
                return max(0, min(int(value.strip()), MAX_WAIT_SECONDS))
            except ValueError:
                return None
    return None


def _version_in(etag: str) -> int | None:
    tag = etag.strip().removeprefix("W/").strip('"')
    return int(tag[1:]) if tag.startswith("v") and tag[1:].isdigit() else None


def _wait_for_change(job: Job, version: int, seconds: int) -> None:
    """Hold until the job moves past ``version`` or ``seconds`` pass (woken by its events)."""
    if job.version > version or job.terminal:
        return
    deadline = time.monotonic() + seconds
    for doc in watch(job.id, after_version=version, idle_seconds=max(deadline - time.monotonic(), 0.01)):
        if doc is not None or time.monotonic() >= deadline:
            return


@bp.get("/jobs")
def list_jobs() -> Response:
    """The caller's jobs, newest first, a page at a time."""
    owner = current_owner()
    try:
        limit = int(request.args.get("limit", DEFAULT_LIMIT))
    except ValueError as exc:
        raise invalid([{"field": "limit", "message": "must be a whole number"}]) from exc
    jobs, cursor = list_owned(owner, request.args.get("status"), limit, request.args.get("cursor"))
    following = None
    if cursor is not None:
        args = {**request.args.to_dict(), "cursor": cursor, "limit": str(limit)}
        query = "&".join(f"{k}={v}" for k, v in args.items())
        following = f"{base_url()}/api/jobs?{query}"
    return jsonify({"jobs": [job_body(job) for job in jobs], "next": following})


@bp.get("/jobs/<job_id>/output")
def output(job_id: str) -> Response:
    """The compressed file: sent from here (ranges, ETag) or, from object storage, a 307 to it."""
    job = get_owned(current_owner(), job_id)
    if job.status != SUCCEEDED:
        raise Problem(409, "not_ready", f"the job is {job.status}; the output exists once it has succeeded")
    gone = Problem(410, "expired", "the output was deleted after its retention period")
    if job.files_deleted:
        raise gone
    name = download_name(job.input.get("filename") or "video")
    try:
        where = job_storage().serve(output_key(job.id), name, OUTPUT_TYPE)
    except MissingObject as exc:
        raise gone from exc
    except StorageError as exc:
        raise Problem(503, "storage_unavailable", "the output cannot be reached right now; try again",
                      headers={"Retry-After": "10"}) from exc  # fmt: skip
    if isinstance(where, Redirect):  # the store serves ranges and ETags itself
        response = redirect(where.url, 307)
        response.headers["Cache-Control"] = "no-store"
        return response
    response = send_file(
        where.path,
        mimetype=OUTPUT_TYPE,
        as_attachment=True,
        download_name=name,
        conditional=True,
        etag=f"{job.id}-{job.version}",
        max_age=0,
    )
    response.headers["Accept-Ranges"] = "bytes"
    return response


def download_name(filename: str) -> str:
    """``holiday.mov`` -> ``holiday-squeezed.mp4``; path parts and odd characters dropped."""
    stem = filename.replace("\\", "/").rsplit("/", 1)[-1].rsplit(".", 1)[0]
    stem = "".join(ch for ch in stem if ch.isprintable() and ch not in '"<>:|?*').strip(" .") or "video"
    return f"{stem[:100]}-squeezed.mp4"


@bp.post("/jobs/<job_id>/cancel")
def cancel(job_id: str) -> Response:
    """Stop a queued or running job: 202 with the job; 409 if it already ended."""
    job = get_owned(current_owner(), job_id)
    if job.terminal:
        raise Problem(409, "already_finished", f"the job already ended: {job.status}")
    canceled = retention.cancel_job(job.id)
    if canceled is None:  # it ended while we asked
        raise Problem(409, "already_finished", "the job ended before it could be canceled")
    return job_response(canceled, 202)


@bp.delete("/jobs/<job_id>")
def delete(job_id: str) -> Response:
    """Cancel if active, delete the files and the record: 204."""
    job = get_owned(current_owner(), job_id)
    retention.delete_job(job.id)
    return Response(status=204)
