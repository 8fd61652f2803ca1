"""Stills: the poster and the compare frames are the frame at the right moment, of the right size."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from app.media import ffmpeg_binary, probe
from app.media.picture import video_filter
from app.media.stills import POSTER_HEIGHT, StillError, compare_frames, poster, representative_moment
from tests.media import corpus

FFMPEG = ffmpeg_binary()
RED, BLUE, GREEN = (255, 0, 0), (0, 0, 255), (0, 128, 0)


def colour_clip(path: Path, size: str = "640x480", seconds: tuple[float, float, float] = (1, 4, 1)) -> Path:
    """Red, then blue, then green (6 s by default): a third of the way in is blue."""
    parts = [
        f"color=c={name}:s={size}:r=25:d={length}[{label}]"
        for name, length, label in zip(("red", "blue", "green"), seconds, "abc", strict=True)
    ]
    graph = ";".join(parts) + ";[a][b][c]concat=n=3:v=1:a=0"
    cmd = [FFMPEG, "-hide_banner", "-loglevel", "error", "-y", "-filter_complex", graph]
    subprocess.run(
        [*cmd, "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", str(path)], check=True
    )
    return path


def jpeg_facts(path: Path) -> tuple[int, int, tuple[int, ...]]:
    """Width, height and the mean colour (RGB) of a JPEG, as ffmpeg decodes it."""
    info = subprocess.run([FFMPEG, "-hide_banner", "-i", str(path)], capture_output=True, text=True).stderr
    assert "Video: mjpeg" in info, info
    size = next(
        word
        for word in info.split("Video: mjpeg", 1)[1].replace(",", " ").split()
        if "x" in word and word.split("x")[0].isdigit()
    )
    width, height = (int(side) for side in size.split("x"))
    mean = subprocess.run(
        [
            FFMPEG,
            "-loglevel",
            "error",
            "-i",
            str(path),
            "-vf",
            "scale=1:1:flags=area",
            "-f",
            "rawvideo",
            "-pix_fmt",
            "rgb24",
            "-",
        ],
        capture_output=True,
        check=True,
    ).stdout
    return width, height, tuple(mean)


def close_to(colour: tuple[int, ...], expected: tuple[int, int, int]) -> bool:
    return all(abs(a - b) <= 24 for a, b in zip(colour, expected, strict=True))


def test_the_moment_is_a_third_of_the_way_in() -> None:
    assert representative_moment(6.0) == 2.0
    assert representative_moment(None) == 0.0 and representative_moment(0) == 0.0


def test_the_poster_is_the_frame_a_third_in_at_most_poster_height_tall(tmp_path: Path) -> None:
    clip = colour_clip(tmp_path / "colours.mp4", size="1280x720")
    width, height, colour = jpeg_facts(poster(FFMPEG, clip, tmp_path / "poster.jpg", 6.0))
    assert (width, height) == (640, POSTER_HEIGHT)
    assert close_to(colour, BLUE), colour


def test_a_small_video_is_never_scaled_up(tmp_path: Path) -> None:
    clip = colour_clip(tmp_path / "small.mp4", size="320x240")
    width, height, _ = jpeg_facts(poster(FFMPEG, clip, tmp_path / "poster.jpg", 6.0))
    assert (width, height) == (320, 240)


def test_a_duration_longer_than_the_video_falls_back_to_its_start(tmp_path: Path) -> None:
    clip = colour_clip(tmp_path / "short.mp4", seconds=(1, 0.2, 0.2))
    *_, colour = jpeg_facts(poster(FFMPEG, clip, tmp_path / "poster.jpg", 60.0))  # 20 s is past the end
    assert close_to(colour, RED), colour


def test_compare_frames_are_the_same_moment_at_the_results_size(tmp_path: Path) -> None:
    original = colour_clip(tmp_path / "original.mp4", size="640x480")
    result = tmp_path / "result.mp4"
    encode = [FFMPEG, "-hide_banner", "-loglevel", "error", "-y", "-i", str(original), "-vf", "scale=-2:240"]
    subprocess.run(
        [*encode, "-c:v", "libx264", "-preset", "ultrafast", "-crf", "30", str(result)], check=True
    )
    left, right = compare_frames(FFMPEG, original, result, tmp_path, 6.0, vf="scale=-2:240")
    assert (left.name, right.name) == ("original.jpg", "result.jpg")
    for frame in (left, right):
        width, height, colour = jpeg_facts(frame)
        assert (width, height) == (320, 240)
        assert close_to(colour, BLUE), colour


def test_an_anamorphic_pictures_compare_frames_are_shown_as_wide_as_it_plays(tmp_path: Path) -> None:
    """480x360 stored, pixels 4:3 wide: it plays at 640x360. The JPEGs (square pixels) were
    480x360, squeezed."""
    original = tmp_path / "anamorphic.mp4"
    picture = ["-f", "lavfi", "-i", "testsrc2=size=480x360:rate=25:duration=2", "-vf", "setsar=4/3"]
    subprocess.run([FFMPEG, "-v", "error", *picture, *corpus.FAITHFUL, str(original)], check=True)
    result = tmp_path / "result.mp4"
    subprocess.run([FFMPEG, "-v", "error", "-i", str(original), *corpus.FAITHFUL, str(result)], check=True)
    assert probe(FFMPEG, result).shown_size == (640, 360)
    for frame in compare_frames(FFMPEG, original, result, tmp_path, 2.0, vf="null"):
        assert jpeg_facts(frame)[:2] == (640, 360)


def test_not_a_video_raises_still_error(tmp_path: Path) -> None:
    text = tmp_path / "notes.mp4"
    text.write_text("not a video\n" * 50)
    with pytest.raises(StillError):
        poster(FFMPEG, text, tmp_path / "poster.jpg", 6.0)
    assert not (tmp_path / "poster.jpg").exists()


def _grey(path: Path) -> bytes:
    cmd = [FFMPEG, "-loglevel", "error", "-i", str(path), "-vf", "scale=80:60:flags=area", "-f", "rawvideo"]
    return subprocess.run([*cmd, "-pix_fmt", "gray", "-"], capture_output=True, check=True).stdout


def test_compare_frames_line_up_on_a_moving_picture(tmp_path: Path) -> None:
    """testsrc2 moves every frame: the two sides match each other far better than a neighbour frame."""
    original = tmp_path / "moving.mp4"
    source = ["-f", "lavfi", "-i", "testsrc2=size=640x360:rate=25:duration=3"]
    subprocess.run(
        [
            FFMPEG,
            "-hide_banner",
            "-loglevel",
            "error",
            "-y",
            *source,
            "-c:v",
            "libx264",
            "-preset",
            "ultrafast",
            "-pix_fmt",
            "yuv420p",
            str(original),
        ],
        check=True,
    )
    result = tmp_path / "result.mp4"
    subprocess.run(
        [
            FFMPEG,
            "-hide_banner",
            "-loglevel",
            "error",
            "-y",
            "-i",
            str(original),
            "-c:v",
            "libx264",
            "-preset",
            "ultrafast",
            "-crf",
            "23",
            str(result),
        ],
        check=True,
    )
    left, right = compare_frames(FFMPEG, original, result, tmp_path, 3.0)
    (tmp_path / "later").mkdir()
    neighbour = compare_frames(FFMPEG, original, result, tmp_path / "later", 3.3)[1]  # 0.1 s later

    def distance(a: Path, b: Path) -> float:
        return sum(abs(x - y) for x, y in zip(_grey(a), _grey(b), strict=True)) / (80 * 60)

    assert distance(left, right) < 2.0
    assert distance(left, neighbour) > 4 * distance(left, right)


def test_a_result_that_kept_its_hdr_is_tone_mapped_like_the_original(tmp_path: Path) -> None:
    """A JPEG is SDR: both sides are tone-mapped, so they still match (the HDR clip is its own result)."""
    clip = corpus.hdr10(tmp_path / "hdr.mp4", seconds=1)
    vf = video_filter(probe(FFMPEG, clip), None)
    left, right = compare_frames(FFMPEG, clip, clip, tmp_path, 1.0, vf=vf)
    distance = sum(abs(x - y) for x, y in zip(_grey(left), _grey(right), strict=True)) / (80 * 60)
    assert distance < 2.0
