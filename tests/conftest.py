"""Shared fixtures: an app on fakeredis and a temporary database, clips made by ffmpeg."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path

import fakeredis
import pytest
from flask import Flask
from flask.testing import FlaskClient

from app import create_app
from app.extensions import db
from app.media import ffmpeg_binary

FFMPEG = ffmpeg_binary()


def make_clip(
    path: Path,
    seconds: float = 2.0,
    size: str = "320x240",
    rate: int = 25,
    audio: bool = True,
    extra: tuple[str, ...] = (),
) -> Path:
    """A test video from ffmpeg's lavfi sources (testsrc2 picture, sine tone)."""
    cmd = [FFMPEG, "-hide_banner", "-loglevel", "error", "-y"]
    cmd += ["-f", "lavfi", "-i", f"testsrc2=size={size}:rate={rate}:duration={seconds}"]
    if audio:
        cmd += ["-f", "lavfi", "-i", f"sine=frequency=440:duration={seconds}"]
    cmd += ["-c:v", "libx264", "-preset", "ultrafast", "-crf", "16", "-pix_fmt", "yuv420p"]
    if audio:
        cmd += ["-c:a", "aac", "-shortest"]
    cmd += [*extra, "-movflags", "+faststart", str(path)]
    subprocess.run(cmd, check=True)
    return path


@pytest.fixture(scope="session")
def clips(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """A few videos and non-videos, made once per test session."""
    folder = tmp_path_factory.mktemp("clips")
    small = make_clip(folder / "small.mp4", seconds=2)
    truncated = folder / "truncated.mp4"
    data = make_clip(folder / "long.mp4", seconds=6, size="640x360").read_bytes()
    truncated.write_bytes(data[: len(data) // 4])
    text = folder / "notes.mp4"
    text.write_text("this is a text file with a video's name\n" * 20)
    return {"small": small, "truncated": truncated, "text": text}


@pytest.fixture()
def app(tmp_path: Path) -> Iterator[Flask]:
    """The app on a fresh SQLite file, fakeredis and a temporary storage folder."""
    app = create_app(
        {
            "TESTING": True,
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'test.sqlite3'}",
            "STORAGE_DIR": str(tmp_path / "storage"),
            "SECRET_KEY": "test-secret",
            "API_KEYS": [],
            "RATELIMIT_STORAGE_URI": "memory://",
        }
    )
    app.extensions["redis"] = fakeredis.FakeRedis()
    with app.app_context():
        db.create_all()
    yield app
    with app.app_context():
        db.engine.dispose()


@pytest.fixture()
def client(app: Flask) -> FlaskClient:
    return app.test_client()
