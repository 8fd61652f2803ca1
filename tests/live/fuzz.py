"""schemathesis's CLI against a live Squeeze: every check, the stateful phase, an API key.

    .venv/bin/python -m tests.live.fuzz [--seconds 300] [--seed N]     (``make fuzz``)

Starts its own stack (keys, a webhook secret and a metrics token configured, private
addresses allowed for the loopback URLs tests/live/fuzz_hooks.py puts in every request),
runs ``schemathesis run /api/openapi.json --checks all`` with tests/live/schemathesis.toml,
and reads its reports: the failures, the operations tested, and which of the document's
OpenAPI links the stateful phase followed. tests/live/test_fuzz.py runs a short one.
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import secrets
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from app import ROOT
from tests.live.backends import SQLITE_FILE, Backend
from tests.live.stack import LiveStack

CONFIG = Path(__file__).with_name("schemathesis.toml")
HOOKS = "tests.live.fuzz_hooks"
# What each id-making operation must lead to through the document's links (not inferred ones).
LINKED = {
    "POST /api/jobs": {"getJob", "cancelJob", "deleteJob", "getOutput", "getPoster", "getFrame", "jobEvents"},
    "POST /api/uploads": {"getUpload", "signParts", "completeUpload", "deleteUpload"},
}
REQUEST_TIMEOUT_SECONDS = 30
PHASES = "examples,coverage,fuzzing,stateful"  # every phase (examples: the document has none yet)
NO_INFERRED_LINKS = "\n[phases.stateful.inference]\nalgorithms = []\n"


@dataclass
class Outcome:
    """What one run found: its JSON report, and the declared links it followed."""

    report: dict[str, Any]
    followed: dict[str, set[str]] = field(default_factory=dict)  # source operation -> link names
    output: str = ""

    @property
    def failures(self) -> list[Any]:
        return [*self.report["failures"], *self.report["errors"]]

    @property
    def untested(self) -> int:
        operations = self.report["operations"]
        return int(operations["total"] - operations["tested"])

    def missing_links(self) -> dict[str, set[str]]:
        """Of LINKED, what the stateful phase never followed."""
        gaps = {source: names - self.followed.get(source, set()) for source, names in LINKED.items()}
        return {source: names for source, names in gaps.items() if names}


@contextmanager
def fuzzed_stack(folder: Path, backend: Backend = SQLITE_FILE) -> Iterator[tuple[LiveStack, str]]:
    """A stack configured as a deployment with keys; the stack and its API key."""
    key = "sqz_" + secrets.token_urlsafe(24)
    stack = LiveStack(
        folder,
        backend=backend,
        API_KEYS=key,
        METRICS_TOKEN=secrets.token_hex(16),
        WEBHOOK_SECRET="whsec_" + base64.b64encode(os.urandom(24)).decode(),
    )
    try:
        yield stack, key
    finally:
        stack.stop()


def run(
    url: str,
    key: str,
    seconds: int | None,
    seed: int,
    reports: Path,
    phases: str = PHASES,
    inferred: bool = True,
    examples: int | None = None,
) -> Outcome:
    """``schemathesis run`` for ``seconds`` against ``url``; its reports land in ``reports``.

    ``seconds=None``: one pass of ``examples`` cases per operation, however long it takes, so
    what it covers does not depend on how busy the machine is.

    ``inferred``: the stateful phase also follows links schemathesis infers (from Location
    headers, ids in bodies); without them it spends its time on the document's own links."""
    reports.mkdir(parents=True, exist_ok=True)
    config = reports / "schemathesis.toml"
    config.write_text(CONFIG.read_text() + ("" if inferred else NO_INFERRED_LINKS))
    command = [str(Path(sys.executable).with_name("schemathesis")), "--config-file", str(config), "run",
               f"{url}/api/openapi.json", "--checks", "all", "-H", f"Authorization: Bearer {key}",
               "--phases", phases, "--seed", str(seed), "--no-color",
               "--request-timeout", str(REQUEST_TIMEOUT_SECONDS), "--generation-database", "none",
               "--report", "json,ndjson", "--report-dir", str(reports)]  # fmt: skip
    if seconds is not None:
        command += ["--max-time", str(seconds)]
    if examples is not None:
        command += ["--max-examples", str(examples)]
    env = {**os.environ, "SCHEMATHESIS_HOOKS": HOOKS}
    done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=(seconds or 0) + 300)  # fmt: skip
    (report,) = reports.glob("json-*.json")
    (events,) = reports.glob("ndjson-*.ndjson")
    outcome = Outcome(json.loads(report.read_text()), output=done.stdout + done.stderr)
    outcome.followed = _followed_links(events)
    return outcome


def _followed_links(events: Path) -> dict[str, set[str]]:
    """Source operation -> names of its declared links the stateful phase applied."""
    followed: dict[str, set[str]] = {}
    with events.open() as lines:
        for line in lines:
            finished = json.loads(line).get("ScenarioFinished")
            if finished is None or finished["phase"] != "stateful":
                continue
            for case in finished["recorder"].get("cases", {}).values():
                transition = case.get("transition")
                if transition is None or transition["is_inferred"] or not case.get("is_transition_applied"):
                    continue
                source, link, _target = transition["id"].split(
                    " -> "
                )  # "POST /api/jobs", "[202] getJob", ...
                followed.setdefault(source, set()).add(link.split(" ", 1)[1])
    return followed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=300, help="schemathesis's time budget (default 300)")
    parser.add_argument("--seed", type=int, default=secrets.randbelow(2**31), help="default: a new one")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="squeeze-fuzz-") as tmp:
        folder = Path(tmp)
        with fuzzed_stack(folder / "stack") as (stack, key):
            outcome = run(stack.url, key, args.seconds, args.seed, folder / "reports")
    print(outcome.output)
    print(f"seed {args.seed}: {len(outcome.failures)} failures, {outcome.untested} operations untested")
    for source, names in sorted(outcome.followed.items()):
        print(f"links followed from {source}: {', '.join(sorted(names))}")
    missing = outcome.missing_links()
    if missing:
        print(f"links never followed: {missing}")
    return 1 if outcome.failures or outcome.untested or missing else 0


if __name__ == "__main__":
    sys.exit(main())
