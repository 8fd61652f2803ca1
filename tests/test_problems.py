"""Problem details: every status has a title a person reads."""

from __future__ import annotations

from app.problems import Problem


def test_every_status_gets_a_title_of_its_own() -> None:
    titles = {status: Problem(status, "x", "y").body()["title"] for status in (403, 411, 422, 500, 599)}
    assert titles == {
        403: "Forbidden",
        411: "Length required",
        422: "Unprocessable content",
        500: "Internal server error",
        599: "Error",  # no name in HTTP
    }
