"""A bounded schemathesis run against the live app: whatever it sends, never a 5xx.

The server resolves the host of a ``callback_url`` or ``source_url`` (app.netguard), so a
generated one would send DNS queries off this machine: each is replaced by a loopback URL
(the stack allows private addresses), which the server checks and accepts the same way.
"""

from __future__ import annotations

import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error

from tests.live.backends import on_backend
from tests.live.stack import LiveStack

pytestmark = on_backend("sqlite-file")  # the API's answers, not where they are kept

EXAMPLES_PER_OPERATION = 12
RESOLVED_FIELDS = ("callback_url", "source_url")
LOOPBACK_URL = "http://127.0.0.1:9/fuzzed"  # nothing listens on the discard port: refused at once


def _offline(case: schemathesis.Case) -> schemathesis.Case:
    """The case with every URL the server would resolve pointing at this machine."""
    if isinstance(case.body, dict):
        for name in RESOLVED_FIELDS:
            if name in case.body:
                case.body[name] = LOOPBACK_URL
    return case


def test_no_server_errors(stack: LiveStack) -> None:
    schema = schemathesis.openapi.from_url(stack.url + "/api/openapi.json")
    tried = []
    for result in schema.get_all_operations():
        operation = result.ok()
        tried.append(operation.label)

        @given(case=operation.as_strategy().map(_offline))
        @settings(max_examples=EXAMPLES_PER_OPERATION, deadline=None, suppress_health_check=list(HealthCheck),
                  database=None)  # fmt: skip
        def call(case: schemathesis.Case) -> None:
            response = case.call(base_url=stack.url, timeout=30)
            case.validate_response(response, checks=[not_a_server_error])

        call()
    assert len(tried) >= 12, tried
