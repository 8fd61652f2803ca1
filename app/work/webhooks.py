"""Deliver a finished job's webhook (Standard Webhooks), retrying on the configured schedule.

Runs on its own queue and worker process, so a slow receiver never delays compression.
Every attempt is recorded; the job's ``webhook`` field summarises them.
"""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime
from http.client import HTTPException

from flask import current_app
from standardwebhooks.webhooks import Webhook

from app.extensions import db
from app.jobs import lifecycle, queue
from app.jobs.document import absolute, document
from app.jobs.models import Job, WebhookAttempt
from app.netguard import BlockedAddress, open_guarded
from app.timeutil import rfc3339

log = logging.getLogger(__name__)
REQUEST_TIMEOUT_SECONDS = 10
MAX_RETRY_AFTER_SECONDS = 24 * 3600
GONE = 410


def event_id(job_id: str) -> str:
    """The webhook-id of a job's one terminal event: the same on every retry."""
    return "msg_" + job_id.replace("-", "")


def payload(job: Job) -> str:
    doc = absolute(document(job), job.base_url or "")
    return json.dumps(
        {"type": f"job.{job.status}", "timestamp": rfc3339(job.finished_at), "data": doc},
        separators=(",", ":"),
    )


def signed_headers(secret: str, message_id: str, body: str, now: datetime) -> dict[str, str]:
    return {
        "content-type": "application/json",
        "user-agent": "Squeeze-Webhooks/1",
        "webhook-id": message_id,
        "webhook-timestamp": str(int(now.timestamp())),
        "webhook-signature": Webhook(secret).sign(message_id, now, body),
    }


def deliver(job_id: str, attempt: int = 1) -> None:
    """One attempt; on failure the next is scheduled after WEBHOOK_RETRY_DELAYS (or Retry-After)."""
    db.engine.dispose(close=False)
    job = db.session.get(Job, job_id)
    if job is None or not job.callback_url or not job.terminal:
        return
    config = current_app.config
    message_id = event_id(job_id)
    status, error, retry_after = _post(job, message_id, config)
    db.session.add(WebhookAttempt(job_id=job_id, event_id=message_id, attempt=attempt,
                                  status_code=status, error=error))  # fmt: skip
    db.session.commit()
    delays: list[int] = config["WEBHOOK_RETRY_DELAYS"]
    if status is not None and 200 <= status < 300:
        state = "delivered"
    elif status == GONE or attempt > len(delays):
        state = "failed"
    else:
        state = "pending"
        delay = max(delays[attempt - 1], min(retry_after or 0, MAX_RETRY_AFTER_SECONDS))
        queue.enqueue_webhook(job_id, attempt + 1, delay_seconds=delay)
    summary = {"url": job.callback_url, "state": state, "attempts": attempt, "last_status": status}
    if error:
        summary["last_error"] = error
    lifecycle.record_webhook(job_id, summary)


def _post(job: Job, message_id: str, config: dict) -> tuple[int | None, str | None, int | None]:
    """POST the event; (HTTP status or None, error text or None, Retry-After seconds or None)."""
    secret = config["WEBHOOK_SECRET"]
    if not secret:
        return None, "the server has no WEBHOOK_SECRET to sign with", None
    body = payload(job)
    headers = signed_headers(secret, message_id, body, datetime.now(UTC))
    try:
        response = open_guarded("POST", job.callback_url or "", config["WEBHOOK_ALLOW_PRIVATE"],
                                REQUEST_TIMEOUT_SECONDS, body=body.encode(), headers=headers)  # fmt: skip
    except BlockedAddress as exc:
        return None, f"refused: {exc}", None
    except (OSError, HTTPException) as exc:
        return None, f"{type(exc).__name__}: {exc}"[:300], None
    with response:
        response.read(64 * 1024)
        return response.status, None, _retry_after(response.getheader("Retry-After"))


def _retry_after(value: str | None) -> int | None:
    if value and value.strip().isdigit():
        return int(value.strip())
    return None
