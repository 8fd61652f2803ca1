"""A short contract test of the live API: schemathesis with every check finds nothing, tests
every operation, and follows every link of the document (tests/live/fuzz.py runs it; ``make
fuzz`` is the long run). Nothing it sends leaves the machine (tests/live/fuzz_hooks.py)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.live.backends import Backend, on_backend
from tests.live.fuzz import fuzzed_stack, run
from tests.live.stack import LiveStack

pytestmark = on_backend("sqlite-file")  # the API's answers, not where they are kept

SEED = 20261206  # a fixed one: the same cases every run (make fuzz draws new ones)
# Both runs are bounded by a count of cases, not a clock: a time budget covered less when the
# machine was busy (12 s of the stateful phase once reached 9 of the document's 22 links).
FUZZ_EXAMPLES = 10  # per operation, after coverage's boundaries and mistakes: ~12 s idle
STATEFUL_EXAMPLES = 60  # every declared link (40 missed one; 50 was the least that did): ~9 s idle


@pytest.fixture(scope="module")
def fuzzed(tmp_path_factory: pytest.TempPathFactory, backend: Backend) -> Iterator[tuple[LiveStack, str]]:
    with fuzzed_stack(tmp_path_factory.mktemp("fuzzed"), backend) as live:
        yield live


def test_every_operation_answers_as_documented(fuzzed: tuple[LiveStack, str], tmp_path: Path) -> None:
    stack, key = fuzzed
    outcome = run(
        stack.url, key, None, SEED, tmp_path, phases="examples,coverage,fuzzing", examples=FUZZ_EXAMPLES
    )
    assert not outcome.failures, outcome.output
    assert outcome.untested == 0, outcome.output


def test_every_link_leads_where_it_says(fuzzed: tuple[LiveStack, str], tmp_path: Path) -> None:
    """From a submit to each job operation, from a new upload to each upload operation."""
    stack, key = fuzzed
    outcome = run(
        stack.url, key, None, SEED, tmp_path, phases="stateful", inferred=False, examples=STATEFUL_EXAMPLES
    )
    assert not outcome.failures, outcome.output
    assert outcome.missing_links() == {}, outcome.output
