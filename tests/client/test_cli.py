"""The ``squeeze`` command turns its flags into the API's options."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from squeeze_client import cli
from squeeze_client.api import Client


def _sent_options(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, *flags: str) -> dict[str, Any]:
    video = tmp_path / "talk.mp4"
    video.write_bytes(b"not really a video")
    sent: dict[str, Any] = {}

    def upload(
        self: Client, path: Path, options: dict[str, Any], **_kwargs: Any
    ) -> tuple[dict[str, Any], int]:
        sent.update(options)
        return {"id": "j", "status": "queued"}, 1

    monkeypatch.setattr(Client, "upload", upload)
    assert cli.main(["--url", "http://127.0.0.1:9", "compress", str(video), *flags]) == cli.DONE
    return sent


def test_flags_become_options(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    sent = _sent_options(monkeypatch, tmp_path, "--normalize", "--keep-location", "--fit", "25MB", "--sdr")
    assert sent["normalize_audio"] is True and sent["keep_location"] is True
    # 25e6 bytes in the server's megabytes (2**20 bytes): 25 of them let a 25.2e6-byte file through
    assert sent["target_size_mb"] == 23.841 and 23.841 * 2**20 <= 25e6 and sent["sdr"] is True


def test_without_flags_nothing_is_asked(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    sent = _sent_options(monkeypatch, tmp_path)
    assert sent["normalize_audio"] is None and sent["keep_location"] is None and sent["sdr"] is None


def test_a_trim_and_a_container(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    sent = _sent_options(monkeypatch, tmp_path, "--start", "1:30", "--end", "125.5", "--container", "mkv")
    assert (sent["start_seconds"], sent["end_seconds"], sent["container"]) == (90.0, 125.5, "mkv")


@pytest.mark.parametrize("bad", ["soon", "-3", "1:xx"])
def test_a_time_that_is_not_one_is_a_usage_error(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, bad: str
) -> None:
    with pytest.raises(SystemExit) as stopped:
        _sent_options(monkeypatch, tmp_path, "--start", bad)
    assert stopped.value.code == 2
