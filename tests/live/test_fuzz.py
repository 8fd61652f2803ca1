"""A bounded schemathesis run against the live app: whatever it sends, never a 5xx."""

from __future__ import annotations

import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error

from tests.live.backends import on_backend
from tests.live.stack import LiveStack

pytestmark = on_backend("sqlite-file")  # the API's answers, not where they are kept

EXAMPLES_PER_OPERATION = 12


def test_no_server_errors(stack: LiveStack) -> None:
    schema = schemathesis.openapi.from_url(stack.url + "/api/openapi.json")
    tried = []
    for result in schema.get_all_operations():
        operation = result.ok()
        tried.append(operation.label)

        @given(case=operation.as_strategy())
        @settings(max_examples=EXAMPLES_PER_OPERATION, deadline=None, suppress_health_check=list(HealthCheck),
                  database=None)  # fmt: skip
        def call(case: schemathesis.Case) -> None:
            response = case.call(base_url=stack.url, timeout=30)
            case.validate_response(response, checks=[not_a_server_error])

        call()
    assert len(tried) >= 12, tried
