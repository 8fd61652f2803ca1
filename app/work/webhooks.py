"""Deliver a finished job's webhook (Standard Webhooks), retrying on the configured schedule.

Runs on its own queue and worker process, so a slow receiver never delays compression.
The event was fixed when the job ended (``app.jobs.document.webhook_event``), so every
retry sends the same id and body, even if the job was deleted since. Every attempt on a
job that still exists is recorded, and the job's ``webhook`` field summarises them.
"""

from __future__ import annotations

import logging
import math
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from http.client import HTTPException
from typing import Any

from flask import current_app
from standardwebhooks.webhooks import Webhook

from app import metrics
from app.extensions import db
from app.jobs import lifecycle, queue
from app.jobs.models import DELIVERED, PENDING, UNDELIVERED, Job, WebhookAttempt
from app.netguard import BlockedAddress, open_guarded
from app.units import whole_number

log = logging.getLogger(__name__)
REQUEST_TIMEOUT_SECONDS = 10
MAX_RETRY_AFTER_SECONDS = 24 * 3600
GONE = 410


def signed_headers(secret: str, message_id: str, body: str, now: datetime) -> dict[str, str]:
    return {
        "content-type": "application/json",
        "user-agent": "Squeeze-Webhooks/1",
        "webhook-id": message_id,
        "webhook-timestamp": str(int(now.timestamp())),
        "webhook-signature": Webhook(secret).sign(message_id, now, body),
    }


def deliver(event: dict[str, str], attempt: int = 1) -> None:
    """One attempt; on failure the next is scheduled after WEBHOOK_RETRY_DELAYS (or Retry-After)."""
    db.engine.dispose(close=False)
    config = current_app.config
    status, error, retry_after = _post(event, config)
    delays: list[int] = config["WEBHOOK_RETRY_DELAYS"]
    if status is not None and 200 <= status < 300:
        state = DELIVERED
    elif status == GONE or attempt > len(delays):
        state = UNDELIVERED
    else:
        state = PENDING
        delay = max(delays[attempt - 1], min(retry_after or 0, MAX_RETRY_AFTER_SECONDS))
        queue.enqueue_webhook(event, attempt + 1, delay_seconds=delay)
    metrics.count("webhook_deliveries", outcome="retrying" if state == PENDING else state)
    job_id = event["job_id"]
    if db.session.get(Job, job_id) is None:
        log.info(
            "webhook %s attempt %s: %s (job deleted, not recorded)", event["id"], attempt, status or error
        )
        return
    attempt_row = WebhookAttempt(
        job_id=job_id, event_id=event["id"], attempt=attempt, status_code=status, error=error
    )
    db.session.add(attempt_row)
    db.session.commit()
    summary: dict[str, Any] = {
        "url": event["url"],
        "state": state,
        "attempts": attempt,
        "last_status": status,
    }
    if error:
        summary["last_error"] = error
    lifecycle.record_webhook(job_id, summary)


def _post(event: dict[str, str], config: Any) -> tuple[int | None, str | None, int | None]:
    """POST the event; (HTTP status or None, error text or None, Retry-After seconds or None)."""
    secret = config["WEBHOOK_SECRET"]
    if not secret:
        return None, "the server has no WEBHOOK_SECRET to sign with", None
    headers = signed_headers(secret, event["id"], event["body"], datetime.now(UTC))
    try:
        response = open_guarded(
            "POST",
            event["url"],
            config["WEBHOOK_ALLOW_PRIVATE"],
            REQUEST_TIMEOUT_SECONDS,
            body=event["body"].encode(),
            headers=headers,
        )
    except BlockedAddress as exc:
        return None, f"refused: {exc}", None
    except (OSError, HTTPException) as exc:
        return None, f"{type(exc).__name__}: {exc}"[:300], None
    with response:
        response.read(64 * 1024)
        return response.status, None, retry_after_seconds(response.getheader("Retry-After"))


def retry_after_seconds(value: str | None, now: datetime | None = None) -> int | None:
    """The seconds a ``Retry-After`` asks for: its number, or until its HTTP date (RFC 9110)."""
    if not value:
        return None
    if (seconds := whole_number(value.strip())) is not None:
        return seconds
    try:
        when = parsedate_to_datetime(value.strip())
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:  # an HTTP date is GMT; a zone-less one is read so
        when = when.replace(tzinfo=UTC)
    return max(math.ceil((when - (now or datetime.now(UTC))).total_seconds()), 0)
