"""How an attempt ends early: a failure to report, or an interruption (maybe retried)."""

from __future__ import annotations

STORE_UNAVAILABLE = "storage_unavailable"  # the file store failed a step: retried, never the job's fault
OUTPUT_INVALID = "output_invalid"  # an encode that failed its check: worth another attempt
SUPERSEDED = "superseded"  # another attempt holds the job: this one leaves it all to that one


class JobFailed(Exception):
    """The job cannot succeed; ``code`` and the message go to the client as they are."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


class Interrupted(Exception):
    """The attempt stopped before finishing: canceled, stalled, or the worker is shutting down."""

    def __init__(self, message: str, code: str, retry: bool) -> None:
        super().__init__(message)
        self.code = code
        self.retry = retry
