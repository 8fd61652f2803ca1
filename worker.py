"""Run an RQ worker on the compression (and webhook) queues: ``python worker.py``.

The app is created once here, before RQ forks a work-horse per job, so every job runs
inside its app context.
"""

from __future__ import annotations

from app.work.runner import run_worker

if __name__ == "__main__":
    run_worker()
