"""The job routes: status monitor (with long poll), list, output, cancel, delete."""

from __future__ import annotations

import re
import time
from urllib.parse import urlencode

from flask import Response, jsonify, redirect, request, send_file, url_for
from werkzeug.datastructures import ETags
from werkzeug.wrappers import Response as BaseResponse

from app.api import bp
from app.api.responses import job_body, job_response, not_modified, version_tag
from app.api.stored import ignore_unreadable_range, locate
from app.auth import current_owner, request_credential, revoked_problem
from app.extensions import release_database
from app.jobs import retention
from app.jobs.models import SUCCEEDED, Job
from app.jobs.queries import DEFAULT_LIMIT, get_owned, list_owned
from app.jobs.watch import Revoked, watch
from app.media.formats import CONTAINER_LIST, MP4, OUTPUT_TYPE
from app.problems import Problem, invalid
from app.storage import Redirect, output_key
from app.units import whole_number
from app.urls import base_url

MAX_WAIT_SECONDS = 60


@bp.get("/jobs/<job_id>")
def status(job_id: str) -> Response:
    """The status monitor: always 200 with the job; ETag, conditional GET and long poll."""
    owner = current_owner()
    job = get_owned(owner, job_id)
    wait = _preferred_wait()
    client_has = request.if_none_match  # parsed per RFC 9110: lists, weak tags, *
    if wait is not None:
        release_database()  # the wait holds no connection; the re-read takes one briefly
        known = _newest_version_in(client_has)
        if known in (None, job.version):  # a client behind, or naming a version to come, is answered now
            _wait_for_change(job, job.version, wait)
            job = get_owned(owner, job_id)
    if client_has.star_tag or client_has.contains_weak(version_tag(job)):
        response = not_modified(job)
    else:
        response = job_response(job)
    if wait is not None:
        response.headers["Preference-Applied"] = f"wait={wait}"
    return response


def _preferred_wait() -> int | None:
    """``Prefer: wait=N`` in seconds (RFC 7240: ``N`` or ``"N"``), at most MAX_WAIT_SECONDS."""
    for preference in request.headers.get("Prefer", "").split(","):
        name, _, value = preference.strip().partition("=")
        if name.strip().lower() == "wait":
            seconds = whole_number(value.strip().removeprefix('"').removesuffix('"'))
            return None if seconds is None else min(seconds, MAX_WAIT_SECONDS)
    return None


def _newest_version_in(tags: ETags) -> int | None:
    """The newest job version among the client's entity tags (``v7``), if any."""
    versions = [whole_number(tag[1:]) for tag in tags.as_set(include_weak=True) if tag and tag[:1] == "v"]
    return max((version for version in versions if version is not None), default=None)


def _wait_for_change(job: Job, version: int, seconds: int) -> None:
    """Hold until the job moves past ``version`` or ``seconds`` pass (woken by its events);
    401 if the request's key is revoked meanwhile."""
    if job.version > version or job.terminal:
        return
    deadline = time.monotonic() + seconds
    idle = max(deadline - time.monotonic(), 0.01)
    try:
        for doc in watch(job.id, after_version=version, idle_seconds=idle, credential=request_credential()):
            if doc is not None or time.monotonic() >= deadline:
                return
    except Revoked:
        raise revoked_problem() from None


@bp.get("/jobs")
def list_jobs() -> Response:
    """The caller's jobs, newest first, a page at a time."""
    owner = current_owner()
    given = request.args.get("limit", str(DEFAULT_LIMIT))
    if re.fullmatch(r"-?[0-9]{1,9}", given) is None:  # as a query spells an integer: no "+5", " 5" or "5_0"
        raise invalid([{"field": "limit", "message": "must be a whole number"}])
    limit = int(given)
    jobs, cursor = list_owned(owner, request.args.get("status"), limit, request.args.get("cursor"))
    following = None
    if cursor is not None:
        # The next page keeps the query, quoted by urlencode (handed to url_for, a name like
        # ``_method`` or ``_external`` would be taken as one of its own arguments).
        query = urlencode({**request.args.to_dict(), "cursor": cursor, "limit": str(limit)})
        following = f"{base_url()}{url_for('api.list_jobs')}?{query}"
    return jsonify({"jobs": [job_body(job) for job in jobs], "next": following})


@bp.get("/jobs/<job_id>/output")
def output(job_id: str) -> BaseResponse:
    """The compressed file: sent from here (ranges, ETag) or, from object storage, a 307 to it."""
    job = get_owned(current_owner(), job_id)
    if job.status != SUCCEEDED:
        later = "the output exists once it has succeeded"
        said = "it has no output, and will have none" if job.terminal else later
        raise Problem(409, "not_ready", f"the job is {job.status}; {said}")
    gone = Problem(410, "expired", "the output was deleted after its retention period")
    if job.files_deleted:
        raise gone
    facts = job.output or {}
    content_type = facts.get("content_type") or OUTPUT_TYPE
    name = download_name(job.input.get("filename") or "video", bool(facts.get("kept_original")), content_type)
    where = locate(output_key(job.id), name, content_type, gone)
    if isinstance(where, Redirect):  # the store serves ranges and ETags itself
        response = redirect(where.url, 307)
        response.headers["Cache-Control"] = "no-store"
        return response
    ignore_unreadable_range()
    response = send_file(
        where.path,
        mimetype=content_type,
        as_attachment=True,
        download_name=name,
        conditional=True,
        etag=f"{job.id}-{job.version}",
        max_age=0,
    )
    response.headers["Accept-Ranges"] = "bytes"
    return response


def download_name(filename: str, kept_original: bool = False, content_type: str = OUTPUT_TYPE) -> str:
    """``holiday.mov`` -> ``holiday-squeezed.mp4`` (``.mkv`` when delivered as Matroska), or
    ``holiday.mov`` when the original was kept."""
    extension = "".join(ch for ch in filename.rpartition(".")[2] if ch.isalnum())[:10]
    if kept_original and "." in filename and extension:
        return f"{file_stem(filename)}.{extension}"
    container = next((c for c in CONTAINER_LIST if c.content_type == content_type), MP4)
    return f"{file_stem(filename)}-squeezed.{container.extension}"


def file_stem(filename: str) -> str:
    """``C:\\clips\\holiday.mov`` -> ``holiday``: what names the files a client saves."""
    stem = filename.replace("\\", "/").rsplit("/", 1)[-1].rsplit(".", 1)[0]
    stem = "".join(ch for ch in stem if ch.isprintable() and ch not in '"<>:|?*').strip(" .") or "video"
    return stem[:100]


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
