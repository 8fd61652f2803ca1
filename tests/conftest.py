"""Shared fixtures: an app on fakeredis and a temporary database, clips made by ffmpeg, servers."""

from __future__ import annotations

import re
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path

import fakeredis
import pytest
from flask import Flask
from flask.testing import FlaskClient

from app import config, create_app
from app.extensions import db
from app.media import ffmpeg_binary
from app.media.segments import frame_times_command, read_frame_times
from tests.live.servers import Postgres, SeaweedFS

FFMPEG = ffmpeg_binary()


# Which files start first (``make test`` runs files whole, in several processes): those that run
# live stacks or a browser, then those that run ffmpeg in-process, then the quick ones, which fill the
# end, rather than a long file starting last with the other processes done.
FIRST, THEN = ("tests/live/", "tests/browser/"), ("tests/work/", "tests/media/")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    def start_order(item: pytest.Item) -> int:
        path = item.nodeid  # from the root: tests/live/test_faults.py::...
        return 0 if path.startswith(FIRST) else 1 if path.startswith(THEN) else 2

    items.sort(key=start_order)  # stable: each file's tests keep their order


def make_clip(
    path: Path,
    seconds: float = 2.0,
    size: str = "320x240",
    rate: int | str = 25,
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


def frame_times(path: Path) -> list[float]:
    """Every frame's presentation time in ``path``, in display order (its packets listed beside it,
    nothing decoded)."""
    listing = path.with_suffix(path.suffix + ".crc")
    subprocess.run(frame_times_command(FFMPEG, path, listing), check=True, capture_output=True)
    return read_frame_times(listing.read_text())


def luma_rows(path: Path, moment: float, width: int, height: int) -> list[float]:
    """Each row's mean luma in the frame shown at ``moment`` of ``path``."""
    cmd = [FFMPEG, "-loglevel", "error", "-ss", str(moment), "-i", str(path), "-frames:v", "1"]
    cmd += ["-vf", "format=gray", "-f", "rawvideo", "-"]
    plane = subprocess.run(cmd, capture_output=True, check=True).stdout
    return [sum(plane[row * width : (row + 1) * width]) / width for row in range(height)]


def full_vmaf(distorted: Path, reference: Path, vf: str) -> float:
    """VMAF over every frame, each file decoded from its start (no seek), its first frame at 0:
    what a service's sampled score is checked against."""
    graph = f"[0:v]setpts=PTS-STARTPTS[d];[1:v]{vf},setpts=PTS-STARTPTS[r];[d][r]libvmaf=n_threads=2"
    cmd = [FFMPEG, "-hide_banner", "-i", str(distorted), "-i", str(reference)]
    cmd += ["-lavfi", graph, "-f", "null", "-"]
    text = subprocess.run(cmd, capture_output=True, check=True).stderr.decode()
    return float(re.search(r"VMAF score: ([\d.]+)", text).group(1))  # type: ignore[union-attr]


def make_noise_clip(path: Path, seconds: float) -> Path:
    """A big test video for its length (noise does not compress: ~7 MB a second at 640x360),
    its index at the end as cameras write it."""
    source = [
        "-f",
        "lavfi",
        "-i",
        f"testsrc2=size=640x360:rate=25:duration={seconds}",
        "-vf",
        "noise=alls=60:allf=t",
    ]
    encode = ["-c:v", "libx264", "-preset", "ultrafast", "-crf", "10", "-y", str(path)]
    subprocess.run([FFMPEG, "-hide_banner", "-loglevel", "error", *source, *encode], check=True)
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


@pytest.fixture(scope="session")
def postgres() -> Iterator[Postgres]:
    """Debian's PostgreSQL, started once when a test first needs it (each test gets a database)."""
    server = Postgres()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def seaweed() -> Iterator[SeaweedFS]:
    """SeaweedFS's S3 API, started once when a test first needs it (each user gets a prefix)."""
    server = SeaweedFS()
    yield server
    server.stop()


DATABASES = ("sqlite", pytest.param("postgres", marks=pytest.mark.slow))


@pytest.fixture()
def database(tmp_path: Path) -> str:
    """The app fixture's database: SQLite. Modules that must hold on both override it with ``both``."""
    return f"sqlite:///{tmp_path / 'test.sqlite3'}"


@pytest.fixture(params=DATABASES)
def both_databases(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A fresh SQLite file, or a fresh database on the shared PostgreSQL."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'test.sqlite3'}"
    server: Postgres = request.getfixturevalue("postgres")
    return config.database_url(server.create_database("t_" + uuid.uuid4().hex[:16]), tmp_path)


def app_settings(tmp_path: Path, database: str, **more: object) -> dict[str, object]:
    """An app's settings for a test: ``database``, storage and scratch in ``tmp_path``, no keys,
    rate limits counted in memory; ``more`` on top."""
    return {
        "TESTING": True,
        "SQLALCHEMY_DATABASE_URI": database,
        "STORAGE_URL": (tmp_path / "storage").as_uri(),
        "SCRATCH_DIR": str(tmp_path / "scratch"),
        "SECRET_KEY": "test-secret",
        "API_KEYS": [],
        "RATELIMIT_STORAGE_URI": "memory://",
        **more,
    }


@pytest.fixture()
def app(tmp_path: Path, database: str) -> Iterator[Flask]:
    """The app on a fresh database (SQLite unless overridden), fakeredis and temporary storage."""
    app = create_app(app_settings(tmp_path, database))
    app.extensions["redis"] = fakeredis.FakeRedis()
    with app.app_context():
        db.create_all()
    yield app
    with app.app_context():
        db.engine.dispose()


@pytest.fixture()
def client(app: Flask) -> FlaskClient:
    return app.test_client()
