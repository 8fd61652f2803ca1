"""One contract, two backends: a folder (file://) and an S3 bucket (SeaweedFS)."""

from __future__ import annotations

import re
import secrets
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from app.media import probe
from app.media.fence import StoreUrl, input_args
from app.storage import LocalFile, MissingObject, Redirect, Storage, StorageError
from app.storage.local import LocalStorage
from app.storage.s3 import PART_BYTES, S3Storage
from app.units import MB
from tests.conftest import FFMPEG, make_clip
from tests.live.servers import SeaweedFS

BACKENDS = ("file", pytest.param("s3", marks=pytest.mark.slow))


def _s3(seaweed: SeaweedFS, endpoint: str | None = None) -> S3Storage:
    seaweed.create_bucket("unit")
    credentials = {"aws_access_key_id": seaweed.access_key, "aws_secret_access_key": seaweed.secret_key}
    return S3Storage(
        "unit", "t-" + secrets.token_hex(4), endpoint or seaweed.endpoint, credentials=credentials
    )


@pytest.fixture(params=BACKENDS)
def storage(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Storage]:
    if request.param == "file":
        yield LocalStorage(tmp_path / "store")
    else:
        yield _s3(request.getfixturevalue("seaweed"))


def _file(folder: Path, data: bytes, name: str = "source.bin") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_bytes(data)
    return path


def test_put_fetch_list_delete(storage: Storage, tmp_path: Path) -> None:
    kept = _file(tmp_path / "in", b"input bytes")
    storage.put("jobs/a/input", kept)
    assert kept.exists(), "a plain put leaves the local file"
    moved = _file(tmp_path / "in", b"output bytes", "out.mp4")
    storage.put("jobs/a/output.mp4", moved, content_type="video/mp4", move=True)
    assert not moved.exists(), "a move leaves nothing behind"
    storage.put("jobs/ab/input", _file(tmp_path / "in", b"other job"))

    assert storage.keys("jobs/a/") == ["jobs/a/input", "jobs/a/output.mp4"], (
        "the prefix is a folder, not a stem"
    )
    assert storage.exists("jobs/a/input") and not storage.exists("jobs/a/nothing")
    fetched = storage.fetch("jobs/a/output.mp4", tmp_path / "scratch")
    assert fetched.read_bytes() == b"output bytes"

    assert storage.delete_prefix("jobs/a/") == 2
    assert storage.keys("jobs/a/") == [] and storage.keys("jobs/ab/") == ["jobs/ab/input"]
    with pytest.raises(MissingObject):
        storage.fetch("jobs/a/input", tmp_path / "scratch")


def test_replacing_an_object(storage: Storage, tmp_path: Path) -> None:
    storage.put("jobs/r/input", _file(tmp_path, b"first"))
    storage.put("jobs/r/input", _file(tmp_path, b"second"))
    assert storage.fetch("jobs/r/input", tmp_path / "f").read_bytes() == b"second"


def test_serve_hands_out_the_file_or_a_presigned_url(storage: Storage, tmp_path: Path) -> None:
    storage.put("jobs/s/output.mp4", _file(tmp_path, b"0123456789" * 100))
    served = storage.serve("jobs/s/output.mp4", "vidéo-squeezed.mp4", "video/mp4")
    if isinstance(served, LocalFile):
        assert served.path.read_bytes() == b"0123456789" * 100
    else:
        assert isinstance(served, Redirect)
        assert "X-Amz-Signature=" in served.url and "X-Amz-Expires=900" in served.url
        whole = requests.get(served.url, timeout=10)
        assert whole.status_code == 200 and whole.content == b"0123456789" * 100
        assert whole.headers["Content-Type"] == "video/mp4"
        assert whole.headers["Content-Disposition"] == (
            "attachment; filename=video-squeezed.mp4; filename*=UTF-8''vid%C3%A9o-squeezed.mp4"
        )
        part = requests.get(served.url, headers={"Range": "bytes=10-19"}, timeout=10)
        assert part.status_code == 206 and part.content == b"0123456789"
        tampered = served.url.replace("output.mp4", "input")
        assert requests.get(tampered, timeout=10).status_code == 403, "the signature covers the key"
    with pytest.raises(MissingObject):
        storage.serve("jobs/s/gone.mp4", "x.mp4", "video/mp4")


def test_a_stored_video_is_read_in_place_as_far_as_a_seek_needs(storage: Storage, tmp_path: Path) -> None:
    """A helper's ffmpeg reads its segment where the input is kept (the stored file, or byte
    ranges of a presigned URL): two seconds of a 30 s video cost a fraction of its bytes."""
    video = make_clip(tmp_path / "in.mp4", seconds=30.0, audio=False, extra=("-g", "25"))
    storage.put("jobs/p/input", video)
    found = storage.readable("jobs/p/input", 60)
    assert found.size == video.stat().st_size
    assert isinstance(found.location, Path) == isinstance(storage, LocalStorage), "no copy of a local file"
    source = found.location if isinstance(found.location, Path) else StoreUrl(found.location)
    assert probe(FFMPEG, source).duration_seconds == pytest.approx(30.0, abs=0.1)
    cmd = [FFMPEG, "-hide_banner", "-v", "verbose", "-ss", "20", "-t", "2", *input_args(source)]
    done = subprocess.run([*cmd, "-map", "0:v:0", "-c", "copy", "-f", "null", "-"], capture_output=True,
                          text=True, check=True)  # fmt: skip
    read = re.search(r"Statistics: (\d+) bytes read", done.stderr)
    assert read is not None and int(read[1]) < found.size / 5, (read, found.size)
    with pytest.raises(MissingObject):
        storage.readable("jobs/p/gone", 60)


def test_check_answers(storage: Storage) -> None:
    storage.check()


def test_local_keys_never_leave_the_root(tmp_path: Path) -> None:
    store = LocalStorage(tmp_path / "store")
    for key in ("../outside", "/etc/passwd", "jobs/../../x"):
        with pytest.raises(ValueError, match="not a storage key"):
            store.put(key, _file(tmp_path, b"x"))


@pytest.mark.slow
def test_s3_large_files_go_in_parts(seaweed: SeaweedFS, tmp_path: Path) -> None:
    store = _s3(seaweed)
    big = tmp_path / "big.bin"
    with big.open("wb") as out:
        for _ in range(PART_BYTES * 2 // MB + 1):
            out.write(secrets.token_bytes(MB))
    store.put("jobs/big/input", big)
    head = seaweed.client().head_object(Bucket="unit", Key=store.prefix + "jobs/big/input")
    assert head["ContentLength"] == big.stat().st_size
    assert head["ETag"].strip('"').endswith("-3"), "uploaded as a 3-part multipart upload"
    assert store.fetch("jobs/big/input", tmp_path / "back").read_bytes() == big.read_bytes()


@pytest.mark.slow
def test_s3_delete_leaves_no_multipart_upload_behind(seaweed: SeaweedFS, tmp_path: Path) -> None:
    store = _s3(seaweed)
    client = seaweed.client()
    client.create_multipart_upload(Bucket="unit", Key=store.prefix + "jobs/m/input")
    store.put("jobs/m/output.mp4", _file(tmp_path, b"x"))
    store.delete_prefix("jobs/m/")
    uploads = client.list_multipart_uploads(Bucket="unit", Prefix=store.prefix).get("Uploads", [])
    assert uploads == [] and store.keys("jobs/m/") == []


@pytest.mark.slow
def test_s3_unreachable_is_a_storage_error(seaweed: SeaweedFS, tmp_path: Path) -> None:
    from app.embedded_redis import free_port

    store = _s3(seaweed, endpoint=f"http://127.0.0.1:{free_port()}")
    with pytest.raises(StorageError, match="unreachable"):
        store.put("jobs/x/input", _file(tmp_path, b"x"))
    with pytest.raises(StorageError):
        store.check()


@pytest.mark.slow
def test_the_s3_server_leaves_nothing_behind() -> None:
    """Its data, logs and sockets (the gRPC ones weed always makes in /tmp) go when it stops."""
    server = SeaweedFS()
    try:
        sockets = server.sockets()
        assert len(sockets) >= 4 and all(path.is_socket() for path in sockets)  # master, volume, filer, s3...
        assert list(server.folder.glob("weed.*")), "its logs in its own folder, not the system's"
    finally:
        server.stop()
    assert not server.folder.exists()
    assert not [path for path in sockets if path.exists()]
