import time
import uuid
from pathlib import Path

import pytest

from app.media import Options, preset_command, probe, run_ffmpeg
from app.media.runner import summarize_error
from tests.conftest import FFMPEG, make_clip
from tests.live.stack import processes_mentioning


def _cmd(tmp_path: Path, seconds: float) -> list[str]:
    clip = make_clip(tmp_path / "in.mp4", seconds=seconds, size="320x240")
    return preset_command(FFMPEG, clip, tmp_path / "out.mp4", Options(), probe(FFMPEG, clip))


def test_a_run_reports_rising_progress_and_succeeds(tmp_path: Path) -> None:
    seen: list[float] = []
    result = run_ffmpeg(_cmd(tmp_path, 3), 3.0, lambda p: seen.append(p.percent), lambda: False, 30, 60)
    assert result.returncode == 0 and result.stopped is None
    assert seen[-1] == 100.0
    assert seen == sorted(seen)
    assert result.seconds_done >= 2.9
    assert (tmp_path / "out.mp4").stat().st_size > 0


def test_should_stop_kills_ffmpeg_promptly(tmp_path: Path) -> None:
    cmd = _cmd(tmp_path, 2)
    cmd[cmd.index("-i") : cmd.index("-i")] = ["-stream_loop", "-1", "-re"]  # would run forever
    asked = time.monotonic() + 1.0
    result = run_ffmpeg(cmd, 2.0, lambda p: None, lambda: time.monotonic() > asked, 30, 60)
    assert result.stopped == "requested" and result.returncode is None
    assert time.monotonic() - asked < 2.0


def test_a_silent_process_is_killed_as_stalled() -> None:
    started = time.monotonic()
    result = run_ffmpeg(["sleep", "30"], 10.0, lambda p: None, lambda: False, stall_timeout=0.5, timeout=60)
    assert result.stopped == "stalled"
    assert time.monotonic() - started < 5


def test_error_summary_keeps_the_telling_line_without_addresses() -> None:
    text = (
        "[h264 @ 0x5575391] Invalid NAL unit size (10779 > 8544).\n"
        "[in#0/mov @ 0x55753916d180] stream 1, offset 0x315fb: partial file\n"
    )
    assert summarize_error(text) == "Invalid NAL unit size (10779 > 8544)."
    assert summarize_error("") == ""


def test_error_summary_never_shows_a_signed_url() -> None:
    text = "Error opening input file http://127.0.0.1:9/b/jobs/x/input?X-Amz-Signature=f00d.\n"
    assert summarize_error(text) == "Error opening input file the stored input"


def test_a_failing_progress_callback_takes_its_ffmpeg_down(tmp_path: Path) -> None:
    """A caller's bookkeeping failed (a cancel removed the rows it writes to): no ffmpeg may go
    on encoding for nobody."""
    target = tmp_path / f"orphan-{uuid.uuid4().hex}.mp4"
    cmd = [FFMPEG, "-hide_banner", "-loglevel", "error", "-progress", "pipe:1", "-f", "lavfi",
           "-i", "testsrc2=size=640x360:rate=25:duration=60", "-c:v", "libx264", str(target)]  # fmt: skip

    def failing(_report: object) -> None:
        raise RuntimeError("the segment's row is gone")

    with pytest.raises(RuntimeError, match="row is gone"):
        run_ffmpeg(cmd, 60.0, failing, lambda: False, stall_timeout=30, timeout=60)
    assert not processes_mentioning(target.name), "its ffmpeg was killed"
