"""ffmpeg fenced in: local files (or the store's own presigned URLs) and media containers only,
kernel limits on every run."""

from __future__ import annotations

import signal
import subprocess
from pathlib import Path

import pytest

from app.media import ProbeError, probe
from app.media.fence import Limits, StoreUrl, input_args, list_kind, reads_store, store_trouble
from app.units import MB
from tests.conftest import FFMPEG, make_clip
from tests.media.crafted import claims_hours, ffconcat_list, hls_playlist, y4m_header


@pytest.mark.parametrize("name", ["list.m3u8", "input"])
def test_an_hls_playlist_is_refused_by_name(tmp_path: Path, name: str) -> None:
    with pytest.raises(ProbeError, match="HLS playlist"):
        probe(FFMPEG, hls_playlist(tmp_path / name))


def test_an_ffconcat_list_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ProbeError, match="ffconcat"):
        probe(FFMPEG, ffconcat_list(tmp_path / "input"))


def test_the_demuxer_allowlist_refuses_a_concat_list_on_its_own(tmp_path: Path) -> None:
    """Even without the marker check, ffmpeg itself will not open a concat list."""
    make_clip(tmp_path / "real.mp4", seconds=1)
    listing = ffconcat_list(tmp_path / "input", target="real.mp4")
    opened = subprocess.run([FFMPEG, "-hide_banner", "-i", str(listing)], capture_output=True, text=True)
    assert "Input #0, concat" in opened.stderr  # what an unfenced ffmpeg does
    fenced = subprocess.run([FFMPEG, "-hide_banner", *input_args(listing)], capture_output=True, text=True)
    assert "Input #0" not in fenced.stderr and fenced.returncode != 0


def test_an_sdp_file_that_would_open_network_streams_is_refused(tmp_path: Path) -> None:
    sdp = tmp_path / "input"
    sdp.write_text("v=0\no=- 0 0 IN IP4 127.0.0.1\ns=x\nc=IN IP4 127.0.0.1\nt=0 0\nm=video 9 RTP/AVP 96\n")
    with pytest.raises(ProbeError):
        probe(FFMPEG, sdp)


def test_a_picture_size_no_decoder_accepts_is_refused_with_its_size(tmp_path: Path) -> None:
    with pytest.raises(ProbeError, match="100000x100000"):
        probe(FFMPEG, y4m_header(tmp_path / "input", 100_000, 100_000))


def test_claimed_size_and_duration_are_reported_as_claimed(tmp_path: Path) -> None:
    huge = probe(FFMPEG, y4m_header(tmp_path / "huge", 16_000, 16_000))
    assert (huge.width, huge.height) == (16_000, 16_000)
    assert huge.beyond(7680 * 4320, 4 * 3600) is not None and "MAX_PIXELS" in str(
        huge.beyond(7680 * 4320, 1e9)
    )
    long = probe(FFMPEG, claims_hours(tmp_path / "long", 10))
    assert long.duration_seconds == 36_000
    assert "MAX_DURATION_MINUTES" in str(long.beyond(7680 * 4320, 4 * 3600))
    assert long.beyond(7680 * 4320, 11 * 3600) is None


def _encode(tmp_path: Path, limits: Limits, seconds: int = 4) -> subprocess.CompletedProcess[bytes]:
    cmd = [FFMPEG, "-hide_banner", "-loglevel", "error", "-f", "lavfi",
           "-i", f"testsrc2=size=640x360:duration={seconds}", "-c:v", "libx264", "-preset", "veryslow",
           "-y", str(tmp_path / "out.mp4")]  # fmt: skip
    return subprocess.run(cmd, capture_output=True, preexec_fn=limits.apply, check=False)


def test_the_output_file_size_cap_stops_ffmpeg(tmp_path: Path) -> None:
    done = _encode(tmp_path, Limits(file_bytes=20_000))
    assert done.returncode in (-signal.SIGXFSZ, 1) and (tmp_path / "out.mp4").stat().st_size <= 20_000


def test_the_cpu_limit_stops_ffmpeg(tmp_path: Path) -> None:
    assert _encode(tmp_path, Limits(cpu_seconds=1), seconds=60).returncode in (
        -signal.SIGXCPU,
        -signal.SIGKILL,
    )


def test_the_memory_limit_stops_ffmpeg(tmp_path: Path) -> None:
    done = _encode(tmp_path, Limits(memory_bytes=64 * MB))
    assert done.returncode != 0 and not (tmp_path / "out.mp4").exists()


def test_a_probe_within_its_limits_still_reads_a_real_video(tmp_path: Path) -> None:
    info = probe(FFMPEG, make_clip(tmp_path / "ok.mp4", seconds=1))
    assert (info.width, info.height) == (320, 240)
    assert list_kind(tmp_path / "ok.mp4") is None


def test_a_store_url_is_the_one_input_read_over_the_network() -> None:
    url = StoreUrl("https://store.example/bucket/jobs/a/input?X-Amz-Signature=abc")
    args = input_args(url)
    assert args[args.index("-protocol_whitelist") + 1] == "https,tls,tcp", "never redirected to http"
    assert args[-2:] == ["-i", url] and isinstance(args[-1], StoreUrl), "reads_store finds it in the argv"
    assert "-reconnect" in args and reads_store(args)
    plain_http = input_args(StoreUrl("http://127.0.0.1:8333/bucket/jobs/a/input"))
    assert plain_http[plain_http.index("-protocol_whitelist") + 1] == "http,tcp"
    plain = input_args("https://elsewhere.example/video.mp4")  # a string is a local path
    assert plain[plain.index("-protocol_whitelist") + 1] == "file" and not reads_store(plain)
    assert plain[-1].startswith("file:/") and plain[-1].endswith("https:/elsewhere.example/video.mp4")
    assert list_kind(url) is None, "no local file to look at: the coordinator read it as one"
    with pytest.raises(ValueError, match="http"):
        input_args(StoreUrl("ftp://store.example/input"))


def test_store_trouble_is_told_from_a_damaged_video() -> None:
    assert store_trouble("[in#0] Error opening input: Connection refused")
    assert store_trouble("[http] HTTP error 403 Forbidden")
    assert store_trouble("[in#0/mov,mp4] stream 0, offset 0x568da: partial file")
    assert not store_trouble("[h264] Invalid NAL unit size (10779 > 8544).")
    assert not store_trouble("[http] Stream ends prematurely at 350546, should be 1051639"), "then resumed"
