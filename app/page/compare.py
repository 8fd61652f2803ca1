"""``/jobs/<id>/compare``: the same moment of the original and of the result, side by side
under a slider, with both sizes, the saving and the measured quality. Owner-checked like
every job route (another owner's job is a 404)."""

from __future__ import annotations

from flask import render_template, url_for

from app.auth import page_owner
from app.jobs.document import document
from app.jobs.models import SUCCEEDED
from app.jobs.queries import get_owned
from app.media.stills import representative_moment
from app.page import bp
from app.storage import FRAME_SIDES


@bp.get("/jobs/<job_id>/compare")
def compare(job_id: str) -> str:
    job = get_owned(page_owner(), job_id)
    ready = job.status == SUCCEEDED and not job.files_deleted
    frames = {side: url_for("api.frame", job_id=job.id, side=side) for side in FRAME_SIDES}
    return render_template(
        "compare.html",
        job=document(job),
        ready=ready,
        frames=frames,
        moment=representative_moment(job.input.get("duration_seconds")),
    )
