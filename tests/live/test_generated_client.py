"""A client generated from the served OpenAPI document works end to end (openapi-python-client).

Programs start from ``/api/openapi.json``: this generates a Python client from it, as a user
would (``docs/api.md`` says how), and with it submits a video as a multipart upload, follows
the job to ``succeeded``, downloads the output, lists the jobs, and runs a resumable upload.
"""

from __future__ import annotations

import importlib
import json
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import httpx
import pytest
import requests

from app.jobs.models import TERMINAL
from tests.conftest import make_clip
from tests.live.backends import on_backend
from tests.live.stack import LiveStack

pytestmark = on_backend("sqlite-file")  # the document and the API's answers, not where they are kept

PACKAGE = "squeeze_api"  # not squeeze_client: that is the hand-written command's package
# How a user generates it: image and video answers are bytes to this generator.
GENERATOR_CONFIG = f"""
package_name_override: {PACKAGE}
project_name_override: squeeze-api
content_type_overrides:
  image/jpeg: application/octet-stream
  video/mp4: application/octet-stream
  video/x-matroska: application/octet-stream
"""


@pytest.fixture(scope="module")
def generated(stack: LiveStack, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ModuleType]:
    folder = tmp_path_factory.mktemp("generated")
    spec = folder / "openapi.json"
    spec.write_bytes(requests.get(f"{stack.url}/api/openapi.json", timeout=30).content)
    config = folder / "config.yaml"
    config.write_text(GENERATOR_CONFIG)
    generate = [sys.executable, "-m", "openapi_python_client", "generate", "--path", str(spec)]
    generate += ["--config", str(config), "--meta", "none", "--output-path", str(folder / PACKAGE)]
    made = subprocess.run(generate, capture_output=True, text=True, timeout=180)
    assert made.returncode == 0, made.stdout + made.stderr
    assert "Cannot parse" not in made.stdout + made.stderr, "every operation and answer generated"
    sys.path.insert(0, str(folder))
    try:
        yield importlib.import_module(PACKAGE)
    finally:
        sys.path.remove(str(folder))
        for name in [name for name in sys.modules if name.split(".")[0] == PACKAGE]:
            del sys.modules[name]


def _api(package: ModuleType, operation: str) -> Any:
    """An operation's module: the generator puts each under its tag (``api.jobs``, ``api.uploads``)."""
    (module,) = Path(str(package.__file__)).parent.glob(f"api/*/{operation}.py")
    return importlib.import_module(f"{package.__name__}.api.{module.parent.name}.{operation}")


def _models(package: ModuleType) -> Any:
    return importlib.import_module(f"{package.__name__}.models")


def _until_done(package: ModuleType, client: Any, job_id: str) -> Any:
    deadline = time.monotonic() + 120
    while True:
        job = _api(package, "get_job").sync(job_id=job_id, client=client)
        if job.status.value in TERMINAL or time.monotonic() > deadline:
            return job
        time.sleep(0.2)


def test_a_generated_client_submits_follows_downloads_and_lists(
    generated: ModuleType, stack: LiveStack, tmp_path: Path
) -> None:
    models, types = _models(generated), importlib.import_module(f"{generated.__name__}.types")
    client = generated.Client(base_url=stack.url, raise_on_unexpected_status=True)
    clip = make_clip(tmp_path / "generated.mp4", seconds=2)
    with clip.open("rb") as handle:
        video = types.File(payload=handle, file_name=clip.name)  # multipart, as format: binary asks
        answer = _api(generated, "submit_job").sync_detailed(
            client=client, body=models.Upload(file=video, preset=models.UploadPreset.SMALL)
        )
    assert answer.status_code == 202, answer.content
    job = _until_done(generated, client, answer.parsed.id)
    assert job.status.value == "succeeded", job
    output = _api(generated, "get_output").sync_detailed(job_id=job.id, client=client)
    assert output.status_code == 200 and output.content[4:8] == b"ftyp"
    listed = _api(generated, "list_jobs").sync(client=client, limit=100)
    assert job.id in [each.id for each in listed.jobs]


def test_a_generated_client_runs_a_resumable_upload(
    generated: ModuleType, stack: LiveStack, tmp_path: Path
) -> None:
    models = _models(generated)
    client = generated.Client(base_url=stack.url, raise_on_unexpected_status=True)
    data = make_clip(tmp_path / "parts.mp4", seconds=2).read_bytes()
    promise = models.UploadPromise(filename="parts.mp4", size_bytes=len(data))
    upload = _api(generated, "create_upload").sync(client=client, body=promise)
    numbers = list(range(1, upload.parts_total + 1))
    signed = _api(generated, "sign_parts").sync_detailed(
        upload_id=upload.id, client=client, body=models.PartNumbers(numbers=numbers)
    )
    assert signed.status_code == 200
    for part in signed.parsed.parts:
        start = (part.number - 1) * upload.part_size
        body = data[start : start + upload.part_size]
        sent = httpx.request(part.method.value, part.url, content=body, headers=part.headers.to_dict())
        assert sent.status_code == 200, sent.text
    done = _api(generated, "complete_upload").sync_detailed(upload_id=upload.id, client=client)
    assert done.status_code == 202, done.content
    assert _until_done(generated, client, done.parsed.id).status.value == "succeeded"


TS_CLIENT = Path(__file__).parent / "ts_client"  # package.json (pinned by its lock) and drive.ts


def test_a_generated_typescript_client_does_the_same(stack: LiveStack, tmp_path: Path) -> None:
    """openapi-typescript's types for the served document, openapi-fetch's calls, type-checked
    by tsc and run under Node: submit, follow, download, list, and a resumable upload."""
    installed = TS_CLIENT / "node_modules" / ".bin"
    if shutil.which("node") is None or not (installed / "tsc").exists():
        pytest.fail(
            "Node and the TS client's packages are needed: `make install` runs npm ci in " + str(TS_CLIENT)
        )
    work = tmp_path / "ts"
    (work / "generated").mkdir(parents=True)
    for name in ("drive.ts", "tsconfig.json", "package.json"):
        shutil.copy(TS_CLIENT / name, work / name)
    (work / "node_modules").symlink_to(TS_CLIENT / "node_modules")
    spec = work / "generated" / "openapi.json"
    spec.write_bytes(requests.get(f"{stack.url}/api/openapi.json", timeout=30).content)
    # As a user would generate it: a property with a default is optional to send.
    _run([str(installed / "openapi-typescript"), str(spec), "-o", str(work / "generated" / "schema.d.ts"),
          "--default-non-nullable", "false"], work)  # fmt: skip
    _run([str(installed / "tsc"), "-p", "tsconfig.json"], work)  # every call checked against the types
    clips = [make_clip(tmp_path / f"{name}.mp4", seconds=2) for name in ("submitted", "parted")]
    done = _run(["node", "dist/drive.js", stack.url, *map(str, clips)], work)
    ids = json.loads(done.stdout.strip().splitlines()[-1])
    for job_id in ids.values():
        assert stack.job(job_id)["status"] == "succeeded"


def _run(cmd: list[str], folder: Path) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(cmd, cwd=folder, capture_output=True, text=True, timeout=240)
    assert done.returncode == 0, f"{cmd[0]}: {done.stdout}{done.stderr}"
    return done
