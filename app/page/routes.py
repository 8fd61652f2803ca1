"""The page at / and the rows fragment its polling fallback fetches."""

from __future__ import annotations

from flask import Response, current_app, redirect, render_template, url_for
from werkzeug.wrappers import Response as WerkzeugResponse

from app.auth import page_owner, signed_in_owner
from app.auth.keys import keys_configured
from app.jobs.document import JobDocument, document
from app.jobs.queries import list_owned
from app.page import bp

ROWS_SHOWN = 50  # the page shows this many of the newest jobs


def recent_documents(owner: str) -> list[JobDocument]:
    jobs, _ = list_owned(owner, None, ROWS_SHOWN, None)
    return [document(job) for job in jobs]


@bp.get("/")
def index() -> WerkzeugResponse | str:
    """The page; on a deployment with keys, the sign-in form until the visitor signs in."""
    if keys_configured() and signed_in_owner() is None:
        return redirect(url_for("page.signin_form"))
    sizes = current_app.config["FIT_SIZES_MB"]
    owner = page_owner()
    return render_template(
        "index.html", jobs=recent_documents(owner), fit_sizes=sizes, signed_in=keys_configured()
    )


@bp.get("/page/rows")
def rows() -> Response:
    """The table body, for the polling fallback."""
    html = render_template("_rows.html", jobs=recent_documents(page_owner()))
    return Response(html, mimetype="text/html", headers={"Cache-Control": "no-store"})
