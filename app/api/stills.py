"""A job's stills: its poster (once a worker has started it) and its two compare frames
(once it has succeeded). JPEGs the worker made (``app/work/stills.py``); owner-scoped like
every job route."""

from __future__ import annotations

from flask import redirect, send_file
from werkzeug.wrappers import Response as BaseResponse

from app.api import bp
from app.api.jobs import file_stem
from app.api.stored import ignore_unreadable_range, locate
from app.auth import current_owner
from app.jobs.models import SUCCEEDED, Job
from app.jobs.queries import get_owned
from app.problems import Problem
from app.storage import FRAME_SIDES, Redirect, frame_key, poster_key

JPEG_TYPE = "image/jpeg"
STILL_MAX_AGE = 300  # a retry remakes a still (a new ETag): browsers revalidate after this
POSTER_RETRY_SECONDS = 2  # a running job's poster is made before its encode starts


@bp.get("/jobs/<job_id>/poster")
def poster(job_id: str) -> BaseResponse:
    """A representative frame of the job's video (JPEG), once a worker has started the job."""
    job = get_owned(current_owner(), job_id)
    _check_files(job)
    if job.terminal:  # the job exists and ended without one (or before a worker took it): not a 404
        missing = Problem(409, "no_poster", "no poster could be made of this video")
    elif job.started_at is None:
        raise Problem(409, "not_ready", "the job is queued; its poster is made once a worker starts it",
                      headers={"Retry-After": str(POSTER_RETRY_SECONDS)})  # fmt: skip
    else:
        missing = Problem(409, "not_ready", "the poster is being made; try again in a moment",
                          headers={"Retry-After": str(POSTER_RETRY_SECONDS)})  # fmt: skip
    return _image(job, poster_key(job.id), "poster", missing)


@bp.get("/jobs/<job_id>/frames/<side>")
def frame(job_id: str, side: str) -> BaseResponse:
    """One compare frame (``original`` or ``result``): the same moment of each, the same size."""
    job = get_owned(current_owner(), job_id)
    if side not in FRAME_SIDES:
        raise Problem(404, "not_found", f"no such frame: {', '.join(FRAME_SIDES)} are")
    if job.status != SUCCEEDED:
        raise Problem(
            409, "not_ready", f"the job is {job.status}; the compare frames exist once it has succeeded"
        )
    _check_files(job)
    missing = Problem(409, "no_frames", "no compare frames could be made of this video")
    return _image(job, frame_key(job.id, side), side, missing)


def _check_files(job: Job) -> None:
    if job.files_deleted:
        raise Problem(
            410, "expired", "the job's files were deleted (after its retention period, or a cancel)"
        )


def _image(job: Job, key: str, what: str, missing: Problem) -> BaseResponse:
    """The stored JPEG: sent from here (ETag, revalidated after STILL_MAX_AGE), or a redirect to the store."""
    name = f"{file_stem(job.input.get('filename') or 'video')}-{what}.jpg"
    where = locate(key, name, JPEG_TYPE, missing)
    if isinstance(where, Redirect):  # presigned for 15 minutes: cache the redirect for less
        response = redirect(where.url, 307)
    else:
        ignore_unreadable_range()
        response = send_file(where.path, mimetype=JPEG_TYPE, download_name=name,
                             conditional=True, max_age=STILL_MAX_AGE)  # fmt: skip
    response.cache_control.public = False
    response.cache_control.private = True
    response.cache_control.max_age = STILL_MAX_AGE
    return response
