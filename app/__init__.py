"""Squeeze: a web app and RQ workers that compress videos in the background."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from pathlib import Path
from typing import Any, cast

from flask import Flask, request
from flask.json.provider import DefaultJSONProvider
from werkzeug.middleware.proxy_fix import ProxyFix

from app import config as settings
from app.auth.cookies import SchemeAwareSessions
from app.extensions import csrf, db, init_redis, limiter, migrate, sock
from app.sqlite_tuning import tune_sqlite_connections
from app.storage import open_storage
from app.storage.scratch import sweep

ROOT = Path(__file__).resolve().parent.parent
log = logging.getLogger(__name__)


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    """Build the app: settings from the environment (overridden by ``config``), extensions, routes."""
    app = Flask(
        __name__,
        instance_path=str(ROOT / "instance"),
        static_folder=str(ROOT / "static"),
        template_folder=str(ROOT / "templates"),
    )
    app.config.update(settings.from_environment(app.instance_path))
    # Keep the contract's field order (app.json is Flask's default provider).
    cast(DefaultJSONProvider, app.json).sort_keys = False
    if config:
        app.config.update(config)
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)

    from app.api.spool import SpoolingRequest

    app.request_class = SpoolingRequest
    # One proxy hop (Heroku's router, nginx) is trusted for the scheme, host and client address.
    app.wsgi_app = ProxyFix(app.wsgi_app, x_for=1, x_proto=1, x_host=1)  # type: ignore[method-assign]

    app.session_interface = SchemeAwareSessions()
    tune_sqlite_connections()
    db.init_app(app)
    migrate.init_app(app, db, directory=str(Path(__file__).parent / "migrations"))
    sock.init_app(app)
    csrf.init_app(app)
    init_redis(app)
    if app.config["RATELIMIT_STORAGE_URI"].startswith(("redis://", "rediss://")):
        # The rate limiter's counters go through this process's one bounded Redis pool.
        app.config["RATELIMIT_STORAGE_OPTIONS"] = {"connection_pool": app.extensions["redis"].connection_pool}
    limiter.init_app(app)
    app.extensions["storage"] = open_storage(app.config)
    sweep(Path(app.config["SCRATCH_DIR"]))  # what a crashed process of this host left behind

    _register_blueprints(app)
    _register_hooks(app)
    if not app.config["API_KEYS"]:
        log.warning("API_KEYS is empty: unless keys were created with 'flask keys create', the API is open")
    return app


def _register_blueprints(app: Flask) -> None:
    from app import health
    from app.admin import bp as admin
    from app.api import bp as api
    from app.api import errors
    from app.auth.keys import cli as keys_cli
    from app.metrics.routes import bp as metrics_bp
    from app.page import bp as page
    from app.streams import bp as streams

    for blueprint in (api, admin, streams, page, health.bp, metrics_bp, keys_cli):
        app.register_blueprint(blueprint)
    csrf.exempt(api)  # the API checks CSRF itself, only for browser-session callers
    csrf.exempt(streams)
    csrf.exempt(admin)  # the console checks an operator session's token itself (app/admin/access.py)
    errors.register(app)


def _register_hooks(app: Flask) -> None:
    from app.security import security_headers

    app.after_request(security_headers(app.config))

    @app.teardown_request
    def _drop_the_upload_spool(_error: BaseException | None) -> None:
        discard = getattr(request, "discard_spool", None)
        if discard is not None:
            discard()
