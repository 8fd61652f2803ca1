"""Signs of life while a job runs: a lease renewed in the database, and a shutdown flag.

The lease (``heartbeat_at``) lives in the database, the source of truth, so it survives a
Redis restart; the reconciler requeues running jobs whose lease lapsed (a dead worker).
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Callable
from types import FrameType

from flask import Flask

from app.jobs import lifecycle

RENEWALS_PER_LEASE = 4  # a lease (LEASE_SECONDS, app/config.py) is renewed this often in its span


class Lease:
    """Renews a running job's heartbeat from a thread of its own until stopped."""

    def __init__(self, app: Flask, job_id: str, renew: Callable[[], bool] | None = None) -> None:
        """``renew`` says the worker is alive (default: the job's lease); False: stop renewing."""
        self._app = app
        self._renew_once = renew or (lambda: lifecycle.renew_lease(job_id))
        self._done = threading.Event()
        self._every = float(app.config["LEASE_SECONDS"]) / RENEWALS_PER_LEASE
        self._thread = threading.Thread(target=self._renew, name=f"lease-{job_id}", daemon=True)

    def __enter__(self) -> Lease:
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._done.set()
        self._thread.join(timeout=self._every * 2)

    def _renew(self) -> None:
        with self._app.app_context():
            while not self._done.wait(self._every):
                if not self._renew_once():
                    return


class Shutdown:
    """Set when the process is asked to stop (SIGTERM: a deploy or dyno restart)."""

    requested = False

    @classmethod
    def install(cls) -> None:
        cls.requested = False
        signal.signal(signal.SIGTERM, cls._on_signal)

    @classmethod
    def _on_signal(cls, _signum: int, _frame: FrameType | None) -> None:
        cls.requested = True
