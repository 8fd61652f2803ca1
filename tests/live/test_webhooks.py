"""Webhooks against a receiver on loopback: signed, retried with one id, stopped by 410, never in the way."""

from __future__ import annotations

import json
import threading
from pathlib import Path

import requests
from standardwebhooks.webhooks import Webhook

from tests.conftest import make_clip
from tests.live.backends import on_backend
from tests.live.conftest import SECRET
from tests.live.receiver import Receiver
from tests.live.stack import LiveStack

pytestmark = on_backend("sqlite-file")  # deliveries go through Redis and the network, not the database


def _webhook_settled(stack: LiveStack, job_id: str) -> dict:
    def settled(job: dict) -> bool:
        return (job.get("webhook") or {}).get("state") in {"delivered", "failed"}

    return stack.follow(job_id, settled, 60, f"the webhook of {job_id} to settle")


def test_signed_delivery_retried_with_the_same_id_after_a_503(stack: LiveStack, clips: dict) -> None:
    receiver = Receiver(lambda n: (503, {}) if n == 1 else (200, {}))
    try:
        job_id = stack.submit(clips["small"], callback_url=receiver.url).json()["id"]
        first, second = receiver.wait_for(2, timeout=120)
        for request in (first, second):
            event = Webhook(SECRET).verify(
                request["body"], request["headers"]
            )  # raises if the signature is off
            assert event["type"] == "job.succeeded" and event["data"]["id"] == job_id
            assert event["data"]["status"] == "succeeded"
        assert first["headers"]["webhook-id"] == second["headers"]["webhook-id"]
        assert first["headers"]["webhook-signature"].startswith("v1,")
        final = _webhook_settled(stack, job_id)
        assert final["webhook"] == {
            "url": receiver.url,
            "state": "delivered",
            "attempts": 2,
            "last_status": 200,
        }
    finally:
        receiver.close()


def test_a_410_stops_the_retries(stack: LiveStack, clips: dict) -> None:
    receiver = Receiver(lambda _n: (410, {}))
    try:
        job_id = stack.submit(clips["small"], callback_url=receiver.url).json()["id"]
        final = _webhook_settled(stack, job_id)
        assert final["webhook"]["state"] == "failed"
        assert final["webhook"]["attempts"] == 1 and final["webhook"]["last_status"] == 410
        assert len(receiver.requests) == 1
    finally:
        receiver.close()


def test_a_hanging_receiver_does_not_delay_the_next_compression(stack: LiveStack, clips: dict) -> None:
    release = threading.Event()
    receiver = Receiver(lambda _n: (release.wait(30), (200, {}))[1])
    try:
        first = stack.submit(clips["small"], callback_url=receiver.url).json()["id"]
        receiver.wait_for(1, timeout=120)  # the delivery is now hanging in the webhook worker
        second = stack.submit(clips["small"]).json()["id"]
        done = stack.wait_for_status(second, {"succeeded", "failed"}, timeout=60)
        assert done["status"] == "succeeded"
        assert not release.is_set() and stack.job(first)["webhook"]["state"] == "pending"
    finally:
        release.set()
        receiver.close()


def test_payload_links_are_absolute(stack: LiveStack, clips: dict) -> None:
    receiver = Receiver()
    try:
        job_id = stack.submit(clips["small"], callback_url=receiver.url).json()["id"]
        (request,) = receiver.wait_for(1, timeout=120)
        data = json.loads(request["body"])["data"]
        assert data["links"]["self"] == f"{stack.url}/api/jobs/{job_id}"
        assert data["output"]["url"] == f"{stack.url}/api/jobs/{job_id}/output"
    finally:
        receiver.close()


def test_deleting_an_active_job_still_sends_its_canceled_webhook(stack: LiveStack, tmp_path: Path) -> None:
    receiver = Receiver()
    try:
        clip = make_clip(tmp_path / "long.mp4", seconds=30, size="640x360")
        job_id = stack.submit(clip, codec="h265", callback_url=receiver.url).json()["id"]
        stack.wait_for_status(job_id, {"running"}, 120)
        assert requests.delete(f"{stack.url}/api/jobs/{job_id}", timeout=10).status_code == 204
        (request,) = receiver.wait_for(1, timeout=60)
        event = Webhook(SECRET).verify(request["body"], request["headers"])
        assert event["type"] == "job.canceled" and event["data"]["id"] == job_id
    finally:
        receiver.close()


def test_retries_send_the_very_same_body(stack: LiveStack, clips: dict) -> None:
    receiver = Receiver(lambda n: (500, {}) if n < 3 else (204, {}))
    try:
        stack.submit(clips["small"], callback_url=receiver.url)
        bodies = {request["body"] for request in receiver.wait_for(3, timeout=120)}
        assert len(bodies) == 1
    finally:
        receiver.close()
