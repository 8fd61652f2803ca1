"""Where a job's files live: one folder per job under STORAGE_DIR.

File names given by clients are never used as paths; a job's files have fixed names.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from flask import current_app

INPUT_NAME = "input"
OUTPUT_NAME = "output.mp4"
PARTIAL_NAME = "output.partial.mp4"


class Storage:
    """Paths and clean-up for job files under one root folder."""

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)
        self.spool = self.root / "spool"  # uploads stream here before a job exists

    def ensure(self) -> None:
        self.spool.mkdir(parents=True, exist_ok=True)

    def job_dir(self, job_id: str) -> Path:
        return self.root / "jobs" / job_id

    def input_path(self, job_id: str) -> Path:
        return self.job_dir(job_id) / INPUT_NAME

    def output_path(self, job_id: str) -> Path:
        return self.job_dir(job_id) / OUTPUT_NAME

    def partial_path(self, job_id: str) -> Path:
        return self.job_dir(job_id) / PARTIAL_NAME

    def adopt_input(self, job_id: str, spooled: Path) -> Path:
        """Move a spooled upload into the job's folder (a rename, no copy)."""
        target = self.input_path(job_id)
        target.parent.mkdir(parents=True, exist_ok=True)
        spooled.replace(target)
        return target

    def remove_partial(self, job_id: str) -> None:
        self.partial_path(job_id).unlink(missing_ok=True)

    def remove_files(self, job_id: str) -> None:
        """Delete every file of a job (input, output, partial output)."""
        shutil.rmtree(self.job_dir(job_id), ignore_errors=True)


def job_storage() -> Storage:
    """The current app's storage."""
    return current_app.extensions["storage"]
