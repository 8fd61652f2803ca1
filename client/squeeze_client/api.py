"""The HTTP API as Python calls, on the standard library: jobs, resumable uploads, SSE, downloads."""

from __future__ import annotations

import itertools
import json
import os
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from squeeze_client.resume import ResumeBook

PART_ATTEMPTS = 6  # tries per part before the upload gives up (it resumes when run again)
SIGN_BATCH = 100  # part URLs asked for in one request
URL_MARGIN_SECONDS = 60  # a signed URL this close to its expiry is asked for again
BACKOFF_SECONDS = (1, 2, 4, 8, 16)
TERMINAL = ("succeeded", "failed", "canceled")


class ApiError(Exception):
    """The server answered with a problem: its status, code and sentence."""

    def __init__(self, status: int, code: str, detail: str) -> None:
        super().__init__(f"{detail} ({status} {code})")
        self.status, self.code, self.detail = status, code, detail


class NetworkError(Exception):
    """The server could not be reached (or the connection broke)."""


class Client:
    """One Squeeze server, one API key (or none, for an open server)."""

    def __init__(self, url: str, api_key: str | None = None, timeout: float = 60) -> None:
        self.url = url.rstrip("/")
        self.api_key = api_key
        self.timeout = timeout

    # -- plain requests ---------------------------------------------------------------------

    def request(self, method: str, path: str, body: Any = None, headers: dict[str, str] | None = None) -> Any:
        """JSON in, JSON out; ApiError for a problem answer, NetworkError when unreachable."""
        data = None if body is None else json.dumps(body).encode()
        sent = {"Accept": "application/json", **(headers or {})}
        if data is not None:
            sent["Content-Type"] = "application/json"
        if self.api_key:
            sent["Authorization"] = f"Bearer {self.api_key}"
        url = path if path.startswith("http") else self.url + path
        request = urllib.request.Request(url, data=data, method=method, headers=sent)
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as answer:
                raw = answer.read()
        except urllib.error.HTTPError as error:
            raise _problem(error) from None
        except (urllib.error.URLError, OSError) as error:
            raise NetworkError(f"{self.url} cannot be reached: {getattr(error, 'reason', error)}") from None
        return json.loads(raw) if raw else None

    def job(self, job_id: str) -> dict[str, Any]:
        return dict(self.request("GET", f"/api/jobs/{job_id}"))

    def jobs(self, limit: int = 20, status: str | None = None) -> list[dict[str, Any]]:
        query = f"?limit={limit}" + (f"&status={status}" if status else "")
        return list(self.request("GET", f"/api/jobs{query}")["jobs"])

    def cancel(self, job_id: str) -> dict[str, Any]:
        return dict(self.request("POST", f"/api/jobs/{job_id}/cancel"))

    # -- resumable upload -------------------------------------------------------------------

    def upload(
        self,
        path: Path,
        options: dict[str, Any],
        on_progress: Callable[[int, int], None] | None = None,
        parallel: int = 4,
        rate_limit: float | None = None,
        book: ResumeBook | None = None,
    ) -> tuple[dict[str, Any], int]:
        """Send ``path`` in parts (resuming an earlier attempt on the same file) and make its job.

        Returns the job and how many parts this call sent. ``on_progress(sent, total)`` is
        called as bytes go; ``rate_limit`` caps bytes per second across all parts.
        """
        size = path.stat().st_size
        book = book or ResumeBook.default()
        upload = self._resumable(path, size, options, book)
        done = set(upload["parts_done"])
        todo = [n for n in range(1, upload["parts_total"] + 1) if n not in done]
        sent = [sum(_part_length(upload, n) for n in done)]
        if on_progress:
            on_progress(sent[0], size)
        pacer = _Pacer(rate_limit)
        urls = _PartUrls(self, upload["id"], todo)

        def send(number: int) -> None:
            self._send_part(upload, path, number, urls, pacer, lambda n: _add(sent, n, size, on_progress))

        with ThreadPoolExecutor(max_workers=max(1, parallel)) as pool:
            list(pool.map(send, todo))
        job = self.request("POST", f"/api/uploads/{upload['id']}/complete")
        book.forget(path, size, self.url)
        return dict(job), len(todo)

    def _resumable(self, path: Path, size: int, options: dict[str, Any], book: ResumeBook) -> dict[str, Any]:
        known = book.lookup(path, size, self.url)
        if known:
            try:
                upload = self.request("GET", f"/api/uploads/{known}")
                if upload.get("state", "open") == "open":
                    return dict(upload)
            except ApiError:
                pass  # expired, deleted or never finished: start again
        body = {
            "filename": path.name,
            "size_bytes": size,
            **{k: v for k, v in options.items() if v is not None},
        }
        upload = self.request("POST", "/api/uploads", body)
        book.remember(path, size, self.url, upload["id"])
        return dict(upload)

    def _send_part(
        self,
        upload: dict[str, Any],
        path: Path,
        number: int,
        urls: _PartUrls,
        pacer: _Pacer,
        progress: Callable[[int], None],
    ) -> None:
        length = _part_length(upload, number)
        with open(path, "rb") as file:
            file.seek((number - 1) * upload["part_size"])
            data = file.read(length)
        for attempt in range(PART_ATTEMPTS):
            try:
                target = urls.take(number)
                pacer.wait(len(data))
                request = urllib.request.Request(
                    target["url"], data=data, method="PUT", headers=target["headers"]
                )
                with urllib.request.urlopen(request, timeout=self.timeout) as answer:
                    answer.read()
                progress(length)
                return
            except urllib.error.HTTPError as error:
                if error.code < 500 and error.code not in (408, 429):
                    raise _problem(error) from None
            except (urllib.error.URLError, OSError, NetworkError):
                pass  # the network: try again after a pause
            if attempt + 1 < PART_ATTEMPTS:
                time.sleep(BACKOFF_SECONDS[min(attempt, len(BACKOFF_SECONDS) - 1)])
        raise NetworkError(f"part {number} could not be sent; run the command again to resume")

    # -- following and downloading ----------------------------------------------------------

    def follow(
        self, job_id: str, on_update: Callable[[dict[str, Any]], None] | None = None
    ) -> dict[str, Any]:
        """Follow the job over Server-Sent Events (reconnecting with Last-Event-ID) to its end."""
        last, job = 0, self.job(job_id)
        while job["status"] not in TERMINAL:
            try:
                for job in self._events(job_id, last):
                    last = job["version"]
                    if on_update:
                        on_update(job)
            except (NetworkError, OSError):
                time.sleep(2)  # the stream broke: reconnect from the last version seen
            job = self.job(job_id)
        if on_update:
            on_update(job)
        return job

    def _events(self, job_id: str, last: int) -> Iterator[dict[str, Any]]:
        headers = {"Accept": "text/event-stream", "Last-Event-ID": str(last)}
        if self.api_key:
            headers["Authorization"] = f"Bearer {self.api_key}"
        request = urllib.request.Request(f"{self.url}/api/jobs/{job_id}/events", headers=headers)
        try:
            stream = urllib.request.urlopen(request, timeout=self.timeout)
        except urllib.error.HTTPError as error:
            raise _problem(error) from None
        except urllib.error.URLError as error:
            raise NetworkError(str(error.reason)) from None
        with stream:
            event, data = "", ""
            for raw in stream:
                line = raw.decode("utf-8").rstrip("\r\n")
                if line.startswith("event:"):
                    event = line[6:].strip()
                elif line.startswith("data:"):
                    data += line[5:].strip()
                elif not line:
                    if event == "job" and data:
                        yield json.loads(data)
                    event, data = "", ""

    def download(
        self, job_id: str, target: Path, on_progress: Callable[[int, int], None] | None = None
    ) -> Path:
        """Save the job's output at ``target`` (written under a temporary name, then renamed)."""
        headers = {"Authorization": f"Bearer {self.api_key}"} if self.api_key else {}
        request = urllib.request.Request(f"{self.url}/api/jobs/{job_id}/output", headers=headers)
        landing = target.with_name(f".{target.name}.part")
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as answer, open(landing, "wb") as out:
                total, got = int(answer.headers.get("Content-Length") or 0), 0
                while chunk := answer.read(1024 * 1024):
                    out.write(chunk)
                    got += len(chunk)
                    if on_progress:
                        on_progress(got, total)
            os.replace(landing, target)
        except urllib.error.HTTPError as error:
            raise _problem(error) from None
        except (urllib.error.URLError, OSError) as error:
            raise NetworkError(f"the download broke off: {getattr(error, 'reason', error)}") from None
        finally:
            landing.unlink(missing_ok=True)
        return target


class _PartUrls:
    """Signed part URLs, asked for SIGN_BATCH at a time (the part wanted and the next ones to
    send), each used once: a retry, or a URL close to its expiry, is signed again."""

    def __init__(self, client: Client, upload_id: str, numbers: list[int]) -> None:
        self._client, self._path = client, f"/api/uploads/{upload_id}/parts"
        self._unsigned = dict.fromkeys(numbers)  # in sending order
        self._signed: dict[int, dict[str, Any]] = {}
        self._lock = threading.Lock()

    def take(self, number: int) -> dict[str, Any]:
        with self._lock:
            target = self._signed.pop(number, None)
            if target is not None and not _expiring(target):
                return target
            self._unsigned.pop(number, None)
            batch = [number, *itertools.islice(self._unsigned, SIGN_BATCH - 1)]
            for later in batch[1:]:
                del self._unsigned[later]
            answer = self._client.request("POST", self._path, {"numbers": batch})
            self._signed.update((int(t["number"]), t) for t in answer["parts"])
            return self._signed.pop(number)


def _expiring(target: dict[str, Any]) -> bool:
    """True when a signed URL has less than URL_MARGIN_SECONDS left."""
    if not target.get("expires_at"):
        return False
    expires = datetime.fromisoformat(str(target["expires_at"]).replace("Z", "+00:00"))
    return (expires - datetime.now(UTC)).total_seconds() < URL_MARGIN_SECONDS


class _Pacer:
    """Spaces sends so they average at most ``rate`` bytes a second (None: as fast as possible)."""

    def __init__(self, rate: float | None) -> None:
        self.rate, self._next = rate, time.monotonic()

    def wait(self, size: int) -> None:
        if not self.rate:
            return
        now = time.monotonic()
        start = max(now, self._next)
        self._next = start + size / self.rate
        time.sleep(max(self._next - now, 0))


def _part_length(upload: dict[str, Any], number: int) -> int:
    if number < upload["parts_total"]:
        return int(upload["part_size"])
    return int(upload["size_bytes"] - upload["part_size"] * (upload["parts_total"] - 1))


def _add(sent: list[int], count: int, total: int, on_progress: Callable[[int, int], None] | None) -> None:
    sent[0] += count
    if on_progress:
        on_progress(sent[0], total)


def _problem(error: urllib.error.HTTPError) -> ApiError:
    try:
        body = json.loads(error.read() or b"{}")
    except ValueError:
        body = {}
    return ApiError(error.code, str(body.get("code", "http_error")), str(body.get("detail", error.reason)))
