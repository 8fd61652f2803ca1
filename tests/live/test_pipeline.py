"""The core path against real processes: submit, poll to the end, download."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
import requests

from app.media import probe
from app.units import MB
from tests.conftest import FFMPEG, make_clip
from tests.live.backends import on_backend
from tests.live.stack import LiveStack


def test_a_clip_is_compressed_polled_and_downloaded(stack: LiveStack, tmp_path: Path) -> None:
    clip = make_clip(tmp_path / "holiday.mov", seconds=8, size="640x360", extra=("-f", "mov"))
    submitted = stack.submit(clip, max_height="240")
    assert submitted.status_code == 202, submitted.text
    job_id = submitted.json()["id"]
    assert submitted.headers["Location"] == f"{stack.url}/api/jobs/{job_id}"

    seen: list[dict] = []
    done = threading.Event()

    def watch() -> None:  # poll as fast as we can, recording every state seen
        while not done.is_set():
            seen.append(stack.job(job_id))
            if seen[-1]["status"] in {"succeeded", "failed", "canceled"}:
                done.set()

    watcher = threading.Thread(target=watch)
    watcher.start()
    watcher.join(timeout=120)
    done.set()
    final = seen[-1]
    assert final["status"] == "succeeded", final
    versions = [s["version"] for s in seen]
    assert versions == sorted(versions)
    progress = [s["progress"] for s in seen if s["status"] == "running"]
    assert progress == sorted(progress)
    assert final["progress"] == 100.0 and final["attempts"] == 1
    assert final["output"]["height"] == 240 and final["output"]["width"] == 426
    assert 0 < final["output"]["ratio"] < 1

    download = requests.get(final["links"]["output"], timeout=30)
    assert download.status_code == 200
    assert download.headers["Content-Type"] == "video/mp4"
    assert "filename=holiday-squeezed.mp4" in download.headers["Content-Disposition"]
    out = tmp_path / "out.mp4"
    out.write_bytes(download.content)
    assert len(download.content) < clip.stat().st_size
    info = probe(FFMPEG, out)
    assert (info.height, info.video_codec, info.audio_codec) == (240, "h264", "aac")
    assert info.duration_seconds is not None and abs(info.duration_seconds - 8) < 0.2

    partial = requests.get(final["links"]["output"], headers={"Range": "bytes=0-99"}, timeout=30)
    assert partial.status_code == 206 and partial.content == download.content[:100]
    cached = requests.get(
        final["links"]["output"], headers={"If-None-Match": download.headers["ETag"]}, timeout=30
    )
    assert cached.status_code == 304


def test_the_status_monitor_answers_conditional_requests(stack: LiveStack, clips: dict) -> None:
    job_id = stack.submit(clips["small"]).json()["id"]
    final = stack.wait_for_status(job_id, {"succeeded"})
    response = requests.get(f"{stack.url}/api/jobs/{job_id}", timeout=10)
    assert response.headers["ETag"] == f'"v{final["version"]}"'
    assert "Retry-After" not in response.headers  # terminal
    again = requests.get(response.url, headers={"If-None-Match": response.headers["ETag"]}, timeout=10)
    assert again.status_code == 304


def test_a_text_file_named_mp4_is_refused_at_once(stack: LiveStack, clips: dict) -> None:
    response = stack.submit(clips["text"])
    assert response.status_code == 415
    assert response.headers["Content-Type"] == "application/problem+json"
    assert response.json()["code"] == "unsupported_media"


def test_a_truncated_video_fails_with_a_message(stack: LiveStack, clips: dict) -> None:
    response = stack.submit(clips["truncated"])
    assert response.status_code == 202, response.text
    final = stack.wait_for_status(response.json()["id"], {"succeeded", "failed"})
    assert final["status"] == "failed"
    assert final["error"]["code"] == "input_damaged"
    assert "truncated" in final["error"]["message"]
    assert "Traceback" not in final["error"]["message"]


def test_the_list_pages_newest_first(stack: LiveStack, clips: dict) -> None:
    ids = [stack.submit(clips["small"]).json()["id"] for _ in range(3)]
    first = requests.get(f"{stack.url}/api/jobs", params={"limit": 2}, timeout=10).json()
    assert [j["id"] for j in first["jobs"]] == ids[::-1][:2]
    second = requests.get(first["next"], timeout=10).json()
    assert second["jobs"][0]["id"] == ids[0]
    for job_id in ids:
        stack.wait_for_status(job_id, {"succeeded"})


@on_backend("sqlite-file")  # the encoder's arithmetic, wherever the bytes are kept
@pytest.mark.parametrize("audio", [True, False])
def test_target_size_is_never_exceeded_and_not_wasted(stack: LiveStack, tmp_path: Path, audio: bool) -> None:
    clip = make_clip(tmp_path / "target.mp4", seconds=10, size="640x360", audio=audio)
    target_mb = 0.4
    job_id = stack.submit(clip, target_size_mb=str(target_mb)).json()["id"]
    done = stack.wait_for_status(job_id, {"succeeded", "failed"})
    assert done["status"] == "succeeded", done["error"]
    size_mb = done["output"]["size_bytes"] / MB
    assert 0.85 * target_mb <= size_mb <= target_mb, size_mb
    assert done["output"]["kept_original"] is False


def test_an_already_compressed_video_comes_back_unchanged(stack: LiveStack, tmp_path: Path) -> None:
    from tests.media import corpus

    clip = corpus.already_compressed(tmp_path / "phone.mov", seconds=4)
    job_id = stack.submit(clip, preset="high").json()["id"]
    done = stack.wait_for_status(job_id, {"succeeded", "failed"})
    assert done["status"] == "succeeded", done["error"]
    output = done["output"]
    assert output["kept_original"] is True and output["ratio"] == 1
    assert output["note"].startswith("already well compressed: re-encoding")
    assert output["quality"] == {"vmaf": 100.0, "ssim": 1.0}
    download = requests.get(done["links"]["output"], timeout=30)
    assert download.content == clip.read_bytes()
    assert download.headers["Content-Type"] == "video/quicktime"
    assert "filename=phone.mov" in download.headers["Content-Disposition"]
    assert stack.objects(job_id)  # the stored input is still there (copied, not moved)


def test_the_document_carries_the_measured_quality(stack: LiveStack, tmp_path: Path) -> None:
    clip = make_clip(tmp_path / "busy.mp4", seconds=4, size="640x360")
    done = stack.wait_for_status(stack.submit(clip).json()["id"], {"succeeded", "failed"})
    output = done["output"]
    assert output["kept_original"] is False and output["note"] is None
    assert 60 < output["quality"]["vmaf"] <= 100 and 0.8 < output["quality"]["ssim"] <= 1
    assert "codec_named" not in done["options"]


def test_the_poster_and_compare_frames_are_served(stack: LiveStack, tmp_path: Path) -> None:
    """From this host with a local store; with S3, a redirect to a presigned URL of the store."""
    clip = make_clip(tmp_path / "stills.mp4", seconds=4, size="640x360")
    done = stack.wait_for_status(stack.submit(clip).json()["id"], {"succeeded", "failed"})
    assert done["status"] == "succeeded", done
    frames = f"{stack.url}/api/jobs/{done['id']}/frames"
    for url in (done["links"]["poster"], f"{frames}/original", f"{frames}/result"):
        got = requests.get(url, timeout=30)
        assert got.status_code == 200, (url, got.text[:300])
        assert got.headers["Content-Type"] == "image/jpeg" and got.content[:3] == b"\xff\xd8\xff"
        redirects = [hop.status_code for hop in got.history]
        assert redirects == ([307] if stack.backend.seaweed else []), (url, redirects)
