"""The page at /."""

from __future__ import annotations

from flask import render_template

from app.auth import page_owner
from app.page import bp


@bp.get("/")
def index() -> str:
    page_owner()
    return render_template("index.html")
