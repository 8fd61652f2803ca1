"""Reading jobs through their owner: 404 for others' jobs, pages with cursors."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from datetime import timedelta

import pytest
from flask import Flask

from app.extensions import db
from app.jobs.models import Job
from app.jobs.queries import CURSOR_PATTERN, MAX_LIMIT, get_owned, list_owned
from app.problems import Problem
from app.timeutil import utcnow


@pytest.fixture()
def ctx(app: Flask) -> Iterator[None]:
    with app.app_context():
        yield


def _jobs(owner: str, count: int, same_instant: bool = False, status: str = "queued") -> list[str]:
    now = utcnow()
    ids = []
    for n in range(count):
        job = Job(id=str(uuid.uuid4()), owner=owner, status=status, input={}, options={},
                  created_at=now if same_instant else now - timedelta(seconds=n))  # fmt: skip
        db.session.add(job)
        ids.append(job.id)
    db.session.commit()
    return ids


def _all_pages(owner: str, limit: int, status: str | None = None) -> list[list[str]]:
    pages, cursor = [], None
    while True:
        jobs, cursor = list_owned(owner, status, limit, cursor)
        pages.append([job.id for job in jobs])
        if cursor is None:
            return pages


def test_pages_cover_every_job_once_newest_first(ctx: None) -> None:
    ids = _jobs("o", 7)  # ids[0] is the newest
    _jobs("someone else", 3)
    pages = _all_pages("o", 3)
    assert [len(p) for p in pages] == [3, 3, 1]
    assert [i for page in pages for i in page] == ids


def test_jobs_created_in_the_same_instant_are_neither_lost_nor_repeated(ctx: None) -> None:
    ids = _jobs("o", 5, same_instant=True)
    seen = [i for page in _all_pages("o", 2) for i in page]
    assert sorted(seen) == sorted(ids) and len(seen) == len(set(seen))


def test_an_exact_page_has_no_next(ctx: None) -> None:
    _jobs("o", 4)
    assert [len(p) for p in _all_pages("o", 4)] == [4]


def test_status_filter(ctx: None) -> None:
    queued = _jobs("o", 2)
    _jobs("o", 2, status="failed")
    assert [i for page in _all_pages("o", 10, "queued") for i in page] == queued


@pytest.mark.parametrize(("status", "limit", "cursor", "field"), [
    ("nope", 10, None, "status"), (None, 0, None, "limit"), (None, MAX_LIMIT + 1, None, "limit"),
    (None, 10, "not-a-cursor", "cursor"), (None, 10, "!!!", "cursor"), (None, 10, "", "cursor"),
    (None, 10, "12.ab\n", "cursor"), (None, 10, "1" * 17 + ".ab", "cursor"),
])  # fmt: skip
def test_bad_arguments_are_422_naming_the_field(
    ctx: None, status: str | None, limit: int, cursor: str | None, field: str
) -> None:
    with pytest.raises(Problem) as caught:
        list_owned("o", status, limit, cursor)
    assert caught.value.status == 422
    assert caught.value.errors is not None and caught.value.errors[0]["field"] == field


def test_any_cursor_of_the_documented_form_is_a_place_in_the_list(ctx: None) -> None:
    """The document gives the cursor's pattern: whatever matches it is accepted (a generated
    client or a contract tester may send one that no answer gave)."""
    ids = _jobs("o", 3)
    assert re.fullmatch(CURSOR_PATTERN, list_owned("o", None, 1, None)[1] or "")
    assert list_owned("o", None, 10, "9" * 16 + ".ffff")[0][0].id == ids[0]  # after the newest: all
    assert list_owned("o", None, 10, "0.0")[0] == []  # before the oldest: nothing


def test_another_owners_job_is_not_found(ctx: None) -> None:
    (job_id,) = _jobs("o", 1)
    assert get_owned("o", job_id).id == job_id
    for owner, wanted in (("p", job_id), ("o", "x" * 65), ("o", str(uuid.uuid4()))):
        with pytest.raises(Problem) as caught:
            get_owned(owner, wanted)
        assert caught.value.status == 404
