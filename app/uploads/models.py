"""The upload record: what was promised (name, size, options) and where its parts go."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Final, Literal

from sqlalchemy import JSON, BigInteger, DateTime, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import Model
from app.timeutil import utcnow

UploadState = Literal["open", "completed", "rejected", "expired"]
OPEN: Final = "open"  # parts may arrive
COMPLETED: Final = "completed"  # joined, probed, its job made (the job has the upload's id)
REJECTED: Final = "rejected"  # joined but not a video we take: its bytes are gone
EXPIRED: Final = "expired"  # UPLOAD_TTL_HOURS passed while open: its parts are gone
UPLOAD_STATES: tuple[UploadState, ...] = (OPEN, COMPLETED, REJECTED, EXPIRED)


class Upload(Model):
    __tablename__ = "uploads"
    __table_args__ = (
        UniqueConstraint("owner", "idempotency_key", name="uq_uploads_owner_idempotency_key"),
        Index("ix_uploads_state_expires", "state", "expires_at"),
    )

    # Also the id of the job it becomes: the parts are joined straight into that job's input.
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    owner: Mapped[str] = mapped_column(String(80))
    state: Mapped[UploadState] = mapped_column(String(16), default=OPEN)
    filename: Mapped[str] = mapped_column(Text)
    size_bytes: Mapped[int] = mapped_column(BigInteger)
    part_size: Mapped[int] = mapped_column()
    parts_total: Mapped[int] = mapped_column()
    # The validated job options and callback URL, applied when the job is made.
    submission: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    storage_upload_id: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(DateTime)
    base_url: Mapped[str] = mapped_column(Text, default="")
    error: Mapped[dict[str, str] | None] = mapped_column(JSON, default=None)
    idempotency_key: Mapped[str | None] = mapped_column(String(255), default=None)
    request_fingerprint: Mapped[str | None] = mapped_column(String(64), default=None)
