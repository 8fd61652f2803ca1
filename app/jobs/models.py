"""The job record: everything the contract's job object shows, plus what the server needs."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Final, Literal

from sqlalchemy import JSON, DateTime, Float, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import Model
from app.media.segments import Segment
from app.timeutil import utcnow

Status = Literal["queued", "running", "succeeded", "failed", "canceled"]
QUEUED: Final = "queued"
RUNNING: Final = "running"
SUCCEEDED: Final = "succeeded"
FAILED: Final = "failed"
CANCELED: Final = "canceled"
STATUSES: tuple[Status, ...] = (QUEUED, RUNNING, SUCCEEDED, FAILED, CANCELED)
TERMINAL: frozenset[Status] = frozenset({SUCCEEDED, FAILED, CANCELED})
ACTIVE: frozenset[Status] = frozenset({QUEUED, RUNNING})
# A webhook's delivery: pending until a 2xx (delivered) or until retries run out (failed).
DELIVERY_STATES = ("pending", "delivered", "failed")
PENDING, DELIVERED, UNDELIVERED = DELIVERY_STATES
# A segment of a split job: waiting for a worker, held by one, encoded and stored, or given up.
SegmentState = Literal["waiting", "running", "done", "failed"]
SEGMENT_WAITING: Final = "waiting"
SEGMENT_RUNNING: Final = "running"
SEGMENT_DONE: Final = "done"
SEGMENT_FAILED: Final = "failed"


class Job(Model):
    __tablename__ = "jobs"
    __table_args__ = (
        UniqueConstraint("owner", "idempotency_key", name="uq_jobs_owner_idempotency_key"),
        Index("ix_jobs_owner_created", "owner", "created_at"),
        Index("ix_jobs_status_finished", "status", "finished_at"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    owner: Mapped[str] = mapped_column(String(80))
    status: Mapped[Status] = mapped_column(String(16), default=QUEUED)
    version: Mapped[int] = mapped_column(default=1)
    progress: Mapped[float] = mapped_column(default=0.0)
    eta_seconds: Mapped[int | None] = mapped_column(default=None)
    attempts: Mapped[int] = mapped_column(default=0)
    # Every start, never set back (an operator's retry sets ``attempts`` back to 0): the number
    # that fences each attempt's writes (``lifecycle._during``), never the same for two attempts.
    starts: Mapped[int] = mapped_column(default=0, server_default="0")
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(DateTime, default=None)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime, default=None)
    # The version the job ended with: its terminal event's id. Webhook bookkeeping moves
    # ``version`` on; an EventSource back with this id is told to stop (``streams.sse``).
    terminal_version: Mapped[int | None] = mapped_column(default=None)
    # When the output (and input) files go; the record follows JOB_TTL_DAYS after finishing.
    expires_at: Mapped[datetime | None] = mapped_column(DateTime, default=None)
    # Last sign of life from the worker on this job (progress, start): the stall clock.
    heartbeat_at: Mapped[datetime | None] = mapped_column(DateTime, default=None)
    poster_at: Mapped[datetime | None] = mapped_column(DateTime, default=None)  # its poster is stored
    files_deleted: Mapped[bool] = mapped_column(default=False)

    input: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    options: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    output: Mapped[dict[str, Any] | None] = mapped_column(JSON, default=None)
    error: Mapped[dict[str, str] | None] = mapped_column(JSON, default=None)
    # A split job's segment counts ({"total", "done", "running"}); None for a one-piece job.
    segments: Mapped[dict[str, int] | None] = mapped_column(JSON, default=None)

    source_url: Mapped[str | None] = mapped_column(Text, default=None)
    callback_url: Mapped[str | None] = mapped_column(Text, default=None)
    webhook: Mapped[dict[str, Any] | None] = mapped_column(JSON, default=None)
    # Scheme and host the job was submitted to, for links in messages sent outside a request.
    base_url: Mapped[str] = mapped_column(Text, default="")

    idempotency_key: Mapped[str | None] = mapped_column(String(255), default=None)
    request_fingerprint: Mapped[str | None] = mapped_column(String(64), default=None)

    @property
    def terminal(self) -> bool:
        return self.status in TERMINAL


class WebhookAttempt(Model):
    """One delivery attempt of a job's webhook: when, what came back."""

    __tablename__ = "webhook_attempts"

    id: Mapped[int] = mapped_column(primary_key=True)
    job_id: Mapped[str] = mapped_column(String(36), ForeignKey("jobs.id", ondelete="CASCADE"), index=True)
    event_id: Mapped[str] = mapped_column(String(64))
    attempt: Mapped[int] = mapped_column()
    attempted_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    status_code: Mapped[int | None] = mapped_column(default=None)
    error: Mapped[str | None] = mapped_column(Text, default=None)


class SegmentRecord(Model):
    """One segment of a split job (the plan's ``Segment``) and its state."""

    __tablename__ = "segments"

    job_id: Mapped[str] = mapped_column(
        String(36), ForeignKey("jobs.id", ondelete="CASCADE"), primary_key=True
    )
    number: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    first_frame: Mapped[int] = mapped_column()
    frames: Mapped[int] = mapped_column()
    start: Mapped[float] = mapped_column(Float)
    duration: Mapped[float] = mapped_column(Float)
    seek: Mapped[float] = mapped_column(Float)
    # The input's keyframes a seek within the segment starts from (``segments.keyframes_for``):
    # listed once by the coordinator, so no worker lists the input again. None: planned before
    # they were recorded (its spans then go where a seek decodes least without knowing them).
    keyframes: Mapped[list[float] | None] = mapped_column(JSON, default=None)
    # Whether a helper reads the stored input in place (a seek reads little of it, measured by
    # the coordinator) or copies it first. None: planned before it was measured (copied).
    in_place: Mapped[bool | None] = mapped_column(default=None)
    # Whether every worker reads, in place, the stored copy of the input's video in which a seek
    # reads little and lands exactly (``work.seekable``), the input's own seeks reading much or
    # starting mid-GOP. None: planned before such copies were made.
    seekable_copy: Mapped[bool | None] = mapped_column(default=None)
    # bit/s of video when the job has a target size (its share of the budget); None: a VMAF target
    bitrate: Mapped[int | None] = mapped_column(default=None)
    state: Mapped[SegmentState] = mapped_column(String(16), default=SEGMENT_WAITING)
    attempts: Mapped[int] = mapped_column(default=0)
    progress: Mapped[float] = mapped_column(Float, default=0.0)
    heartbeat_at: Mapped[datetime | None] = mapped_column(DateTime, default=None)
    # crf, vmaf, ssim, size_bytes once done; outgrown: it passed its share of the input's size
    result: Mapped[dict[str, Any] | None] = mapped_column(JSON, default=None)
    error: Mapped[str | None] = mapped_column(String(500), default=None)

    def plan(self) -> Segment:
        return Segment(self.number, self.first_frame, self.frames, self.start, self.duration, self.seek)
