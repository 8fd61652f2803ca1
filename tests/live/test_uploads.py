"""Resumable uploads end to end: the library and the ``squeeze`` command against a live stack."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import requests
from squeeze_client import Client
from squeeze_client.resume import ResumeBook

from app.units import MB
from tests.conftest import make_noise_clip
from tests.live.stack import LiveStack, wait_until

SMALL = 144  # the jobs' max_height


@pytest.fixture(scope="module")
def noisy(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A ~25 MB clip (noise does not compress), a few 8 MB parts long; its jobs ask for SMALL
    (a quick encode: the bytes' way in is what these tests follow, not the encode)."""
    path = make_noise_clip(tmp_path_factory.mktemp("parts") / "noisy.mp4", seconds=4)
    assert path.stat().st_size > 16 * MB
    return path


def test_an_upload_in_parts_compresses_like_a_one_shot_submit(
    stack: LiveStack, noisy: Path, tmp_path: Path
) -> None:
    client = Client(stack.url)
    asked: list[str] = []
    ask = client.request

    def request(method: str, path: str, *args: Any, **kwargs: Any) -> Any:
        asked.append(f"{method} {path.rsplit('/', 1)[-1]}")
        return ask(method, path, *args, **kwargs)

    client.request = request  # type: ignore[method-assign]
    job, sent = client.upload(
        noisy, {"preset": "small", "max_height": SMALL}, book=ResumeBook(tmp_path / "book.json")
    )
    assert sent == job["input"]["size_bytes"] // (8 * MB) + 1
    assert asked == ["POST uploads", "POST parts", "POST complete"], "every part URL signed at once"
    one_shot = stack.submit(noisy, preset="small", max_height=str(SMALL)).json()
    parts_done = client.follow(job["id"])
    direct = client.follow(one_shot["id"])
    assert parts_done["status"] == direct["status"] == "succeeded"
    assert parts_done["input"] == direct["input"]
    same = ("width", "height", "duration_seconds")
    assert {k: parts_done["output"][k] for k in same} == {k: direct["output"][k] for k in same}
    assert (
        abs(parts_done["output"]["size_bytes"] - direct["output"]["size_bytes"])
        <= 0.02 * direct["output"]["size_bytes"]
    )
    assert stack.objects(job["id"]) and not stack.scratch_of(job["id"])


def _squeeze(stack: LiveStack, cache: Path, *args: str) -> subprocess.Popen[bytes]:
    env = {**os.environ, "SQUEEZE_URL": stack.url, "XDG_CACHE_HOME": str(cache)}
    command = [sys.executable, "-m", "squeeze_client.cli", "--json", *args]
    return subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def test_the_command_killed_mid_upload_resumes_with_the_missing_parts_only(
    stack: LiveStack, noisy: Path, tmp_path: Path
) -> None:
    clip = tmp_path / noisy.name
    clip.write_bytes(noisy.read_bytes())
    cache = tmp_path / "cache"
    book = cache / "squeeze" / "uploads.json"
    small = ["--max-height", str(SMALL)]
    slow = _squeeze(stack, cache, "compress", str(clip), *small, "--parallel", "1", "--limit-rate", "6MB")
    wait_until(lambda: book.exists() and bool(json.loads(book.read_text())), 30, "the upload to be recorded")
    (upload_id,) = json.loads(book.read_text()).values()
    url = f"{stack.url}/api/uploads/{upload_id}"
    wait_until(lambda: len(requests.get(url, timeout=10).json()["parts_done"]) >= 1, 60, "a part to arrive")
    slow.send_signal(signal.SIGKILL)
    slow.wait()
    before = requests.get(url, timeout=10).json()
    assert 1 <= len(before["parts_done"]) < before["parts_total"], before

    again = _squeeze(stack, cache, "compress", str(clip), *small, "--wait", "-o", str(tmp_path / "out"))
    out, err = again.communicate(timeout=300)
    assert again.returncode == 0, err.decode()
    result = json.loads(out.decode().strip().splitlines()[-1])
    assert result["job"] == upload_id and result["status"] == "succeeded"
    assert result["parts_sent"] == before["parts_total"] - len(before["parts_done"]), "only the missing parts"
    output = Path(result["output"])
    assert output == tmp_path / "out" / "noisy-squeezed.mp4"
    assert 0 < output.stat().st_size < clip.stat().st_size
    assert json.loads(book.read_text()) == {}, "a finished upload is forgotten"


def test_the_command_says_what_went_wrong_with_an_exit_code(stack: LiveStack, tmp_path: Path) -> None:
    text = tmp_path / "notes.mp4"
    text.write_text("not a video\n" * 100)
    refused = _squeeze(stack, tmp_path / "cache", "compress", str(text))
    _, err = refused.communicate(timeout=60)
    assert refused.returncode == 3 and b"unsupported_media" in err
    missing = _squeeze(stack, tmp_path / "cache", "status", "no-such-job")
    assert missing.wait(timeout=60) == 3
    nowhere = [sys.executable, "-m", "squeeze_client.cli", "--url", "http://127.0.0.1:9", "jobs"]
    unreachable = subprocess.run(nowhere, capture_output=True, timeout=60)
    assert unreachable.returncode == 4 and b"cannot be reached" in unreachable.stderr
