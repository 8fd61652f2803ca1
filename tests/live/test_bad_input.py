"""The bad-input corpus: every one gets a clear 4xx, or a job that ends with a message. Never a 5xx."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
import requests

from app.jobs.models import TERMINAL
from app.storage import FRAME_SIDES, frame_key, input_key, job_prefix, output_key, poster_key
from tests.conftest import FFMPEG, make_clip
from tests.live.backends import on_backend
from tests.live.stack import LiveStack

pytestmark = on_backend("sqlite-file")  # what a file is, not where it is kept


def _ffmpeg(*args: str) -> None:
    subprocess.run([FFMPEG, "-hide_banner", "-loglevel", "error", "-y", *args], check=True)


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("corpus")
    audio = folder / "song.m4a"
    _ffmpeg("-f", "lavfi", "-i", "sine=duration=1", "-c:a", "aac", str(audio))
    still = folder / "still.png"
    _ffmpeg("-f", "lavfi", "-i", "testsrc2=size=64x64", "-frames:v", "1", str(still))
    empty = folder / "empty.mp4"
    empty.write_bytes(b"")
    return {
        "audio": audio,
        "still": still,
        "empty": empty,
        "tiny": make_clip(folder / "tiny.mp4", seconds=1, size="16x16"),
        "huge": make_clip(folder / "huge.mp4", seconds=0.2, size="7680x4320", rate=5, audio=False),
        "short": make_clip(folder / "short.mp4", seconds=0.1),
    }


def _problem(response: requests.Response, status: int, code: str | None = None) -> dict:
    assert response.status_code == status, response.text
    assert response.headers["Content-Type"] == "application/problem+json"
    body = response.json()
    assert body["detail"] and "Traceback" not in body["detail"]
    if code:
        assert body["code"] == code
    return body


@pytest.mark.parametrize(
    ("name", "reason"), [("empty", "empty"), ("audio", "no video stream"), ("still", "still image")]
)
def test_files_that_are_not_videos_are_refused_at_once(
    stack: LiveStack, corpus: dict, name: str, reason: str
) -> None:
    body = _problem(stack.submit(corpus[name]), 415, "unsupported_media")
    assert reason in body["detail"]


def test_text_renamed_mp4_and_truncated_mp4(stack: LiveStack, clips: dict) -> None:
    _problem(stack.submit(clips["text"]), 415, "unsupported_media")
    job_id = stack.submit(clips["truncated"]).json()["id"]
    assert stack.wait_for_status(job_id, TERMINAL)["status"] == "failed"


@pytest.mark.parametrize(
    ("name", "fields", "height"), [("tiny", {}, 16), ("short", {}, 240), ("huge", {"max_height": "360"}, 360)]
)
def test_odd_but_real_videos_are_compressed(
    stack: LiveStack, corpus: dict, name: str, fields: dict, height: int
) -> None:
    response = stack.submit(corpus[name], **fields)
    assert response.status_code == 202, response.text
    done = stack.wait_for_status(response.json()["id"], TERMINAL, timeout=180)
    assert done["status"] == "succeeded", done["error"]
    assert done["output"]["height"] == height


def test_an_8k_video_at_full_size_ends_either_way_with_a_clear_state(stack: LiveStack, corpus: dict) -> None:
    done = stack.wait_for_status(stack.submit(corpus["huge"]).json()["id"], TERMINAL, timeout=240)
    assert done["status"] == "succeeded" or done["error"]["message"]


@pytest.mark.parametrize(
    "name", ["x" * 296 + ".mp4", "vidéo 🎬 夏.mp4", "../../etc/passwd.mp4", "<script>alert(1)</script>.mp4"]
)
def test_file_names_are_kept_as_given_and_never_used_as_paths(
    stack: LiveStack, clips: dict, name: str
) -> None:
    with clips["small"].open("rb") as handle:
        response = requests.post(f"{stack.url}/api/jobs", files={"file": (name, handle)}, timeout=30)
    assert response.status_code == 202, response.text
    job = response.json()
    assert job["input"]["filename"] == name[:255]
    fixed = {key(job["id"]) for key in (input_key, output_key, poster_key)}
    fixed |= {frame_key(job["id"], side) for side in FRAME_SIDES}
    named = {job_prefix(job["id"]) + name for name in stack.objects(job["id"])}
    assert named <= fixed, "stored under fixed names only (whatever the job has made so far)"
    assert "input" in stack.objects(job["id"])
    done = stack.wait_for_status(job["id"], TERMINAL)
    download = requests.get(done["links"]["output"], timeout=30)
    assert download.status_code == 200
    assert "/" not in download.headers["Content-Disposition"].split("filename", 1)[1].split(";")[0]


def test_wrong_or_missing_content_type(stack: LiveStack) -> None:
    _problem(
        requests.post(
            f"{stack.url}/api/jobs", data=b"hello", headers={"Content-Type": "text/plain"}, timeout=10
        ),
        415,
    )
    _problem(requests.post(f"{stack.url}/api/jobs", data=b"hello", timeout=10), 415)
    _problem(
        requests.post(
            f"{stack.url}/api/jobs",
            data=b"--x\r\n",
            timeout=10,
            headers={"Content-Type": "multipart/form-data; boundary=x"},
        ),
        400,
        "malformed_form",  # a form cut short: not a form without a file
    )


def test_missing_extra_and_huge_fields(stack: LiveStack, clips: dict) -> None:
    _problem(requests.post(f"{stack.url}/api/jobs", files={"preset": (None, "small")}, timeout=10), 422)
    body = _problem(stack.submit(clips["small"], colour="blue"), 422, "invalid_option")
    assert body["errors"] == [{"field": "colour", "message": "unknown field"}]
    _problem(stack.submit(clips["small"], preset="x" * 2_000_000), 413, "too_large")


def test_malformed_and_wrong_json(stack: LiveStack) -> None:
    url = f"{stack.url}/api/jobs"
    _problem(
        requests.post(url, data=b"{not json", headers={"Content-Type": "application/json"}, timeout=10), 400
    )
    _problem(requests.post(url, json=["a", "list"], timeout=10), 400)
    body = _problem(requests.post(url, json={"source_url": 42, "preset": None, "x": 1}, timeout=10), 422)
    assert {e["field"] for e in body["errors"]} == {"source_url", "x"}
