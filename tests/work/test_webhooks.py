"""Webhook deliveries' pure parts (the deliveries themselves: ``tests/live/test_webhooks.py``)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from app.work.webhooks import retry_after_seconds

NOW = datetime(2026, 12, 7, 10, 0, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("value", "seconds"),
    [
        ("4", 4),
        ("Mon, 07 Dec 2026 10:00:04 GMT", 4),  # RFC 9110's other form: a date
        ("Mon, 07 Dec 2026 09:59:00 GMT", 0),  # already past: now
        ("soon", None),
        ("²", None),  # a digit int() refuses
        ("Mon, 99 Foo", None),
        ("", None),
        (None, None),
    ],
)
def test_a_retry_after_is_read_as_seconds_or_as_a_date(value: str | None, seconds: int | None) -> None:
    assert retry_after_seconds(value, NOW) == seconds
