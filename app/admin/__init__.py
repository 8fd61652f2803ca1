"""The operators' console: ``/admin`` (a page) and ``/api/admin/...`` (JSON), for ADMIN_KEYS only.

It reads the domain and RQ's registries, and changes jobs only through ``app/jobs/lifecycle.py``.
Anyone else gets the 404 of an unknown address there, whatever the method (``access.py``).
"""

from flask import Blueprint

from app.admin import access

bp = Blueprint("admin", __name__)
bp.before_app_request(access.only_operators)

from app.admin import api, console  # noqa: E402,F401  (registers the routes)
