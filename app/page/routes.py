"""The page at / and the rows fragment its polling fallback fetches."""

from __future__ import annotations

from flask import Response, current_app, render_template

from app.auth import page_owner
from app.jobs.document import JobDocument, document
from app.jobs.queries import list_owned
from app.page import bp

ROWS_SHOWN = 50  # the page shows this many of the newest jobs


def recent_documents(owner: str) -> list[JobDocument]:
    jobs, _ = list_owned(owner, None, ROWS_SHOWN, None)
    return [document(job) for job in jobs]


@bp.get("/")
def index() -> str:
    sizes = current_app.config["FIT_SIZES_MB"]
    return render_template("index.html", jobs=recent_documents(page_owner()), fit_sizes=sizes)


@bp.get("/page/rows")
def rows() -> Response:
    """The table body, for the polling fallback."""
    html = render_template("_rows.html", jobs=recent_documents(page_owner()))
    return Response(html, mimetype="text/html", headers={"Cache-Control": "no-store"})
