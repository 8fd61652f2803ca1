"""The s3:// backend: objects in a bucket of any S3-compatible store, through boto3.

Large files go up and down in parts (boto3's managed transfers), so memory stays bounded
whatever the size. Clients hand out presigned URLs for the public endpoint, so a download
goes from the store to the client without passing through a web process.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, TypedDict
from urllib.parse import urlsplit

import boto3
from boto3.s3.transfer import TransferConfig
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from app.storage.base import MissingObject, Readable, Redirect, Storage, StorageError, attachment
from app.units import MB

if TYPE_CHECKING:  # boto3-stubs[s3], a test dependency: only the type checker imports it
    from mypy_boto3_s3 import S3Client
    from mypy_boto3_s3.type_defs import CompletedPartTypeDef, ObjectIdentifierTypeDef

PRESIGNED_URL_SECONDS = 15 * 60  # a download link's life (the contract asks for at least 5 minutes)
LONGEST_PRESIGNED_SECONDS = 7 * 24 * 3600  # what SigV4 signs at most (a week)
PART_BYTES = 16 * MB  # multipart transfers: part size and the size from which they apply
TRANSFER = TransferConfig(multipart_threshold=PART_BYTES, multipart_chunksize=PART_BYTES, max_concurrency=4)
CLIENT_CONFIG = Config(
    connect_timeout=5,
    read_timeout=60,
    retries={"mode": "standard", "max_attempts": 3},
    max_pool_connections=32,
    signature_version="s3v4",
)
_NOT_FOUND = {"404", "NoSuchKey", "NotFound", "NoSuchUpload"}
HEAD_COPY_BYTES = 8 * MB  # read from each end of an object for a header probe


class Credentials(TypedDict, total=False):
    aws_access_key_id: str
    aws_secret_access_key: str


class S3Storage(Storage):
    """Keys live under ``prefix`` in ``bucket``; one boto3 client per process (made after any fork).

    Clients come from one boto3 session, which is not safe to share between threads while it
    makes them: they are made under a lock (the clients themselves are thread-safe).
    """

    def __init__(
        self,
        bucket: str,
        prefix: str = "",
        endpoint_url: str | None = None,
        public_endpoint_url: str | None = None,
        region: str = "us-east-1",
        credentials: Credentials | None = None,
    ) -> None:
        """``credentials`` (aws_access_key_id, aws_secret_access_key) default to boto3's own search."""
        self.bucket = bucket
        self.prefix = prefix.strip("/") + "/" if prefix.strip("/") else ""
        self._endpoints = {"private": endpoint_url, "public": public_endpoint_url or endpoint_url}
        self._region = region
        self._credentials = credentials or {}
        self._clients: dict[tuple[int, str], S3Client] = {}
        self._lock = threading.Lock()
        # One session (it caches the parsed service model) and one unused client per endpoint,
        # made here, before any fork: a work-horse adopts them instead of paying ~90 ms for its own.
        self._session = boto3.session.Session()
        self._creator = os.getpid()
        self._pristine = {which: self._new_client(which) for which in self._endpoints}

    @classmethod
    def from_url(cls, url: str, **settings: Any) -> S3Storage:
        parts = urlsplit(url)
        if not parts.netloc:
            raise ValueError(f"STORAGE_URL names no bucket: {url!r}")
        return cls(parts.netloc, parts.path, **settings)

    def _new_client(self, which: str) -> S3Client:
        endpoint = self._endpoints[which]
        # Custom endpoints rarely have bucket DNS names.
        style: Literal["path", "auto"] = "path" if endpoint else "auto"
        config = CLIENT_CONFIG.merge(Config(s3={"addressing_style": style}))
        return self._session.client(
            "s3", endpoint_url=endpoint, region_name=self._region, config=config, **self._credentials
        )

    def _client(self, which: str = "private") -> S3Client:
        """This process's client. A client that has opened connections must not cross a fork, so
        a forked child (an RQ work-horse) adopts one made before the fork and never used."""
        key = (os.getpid(), which)
        with self._lock:
            if key not in self._clients:
                adopted = self._pristine.pop(which, None) if key[0] != self._creator else None
                self._clients[key] = adopted or self._new_client(which)
            return self._clients[key]

    def _key(self, key: str) -> str:
        return self.prefix + key

    def put(self, key: str, source: Path, content_type: str | None = None, move: bool = False) -> None:
        extra = {"ContentType": content_type} if content_type else {}
        with _translated(key):
            self._client().upload_file(
                str(source), self.bucket, self._key(key), ExtraArgs=extra, Config=TRANSFER
            )
        if move:
            source.unlink(missing_ok=True)

    def fetch(self, key: str, folder: Path) -> Path:
        target = folder / Path(key).name
        folder.mkdir(parents=True, exist_ok=True)
        with _translated(key):
            self._client().download_file(self.bucket, self._key(key), str(target), Config=TRANSFER)
        return target

    def readable(self, key: str, seconds: int) -> Readable:
        """A presigned GET of the private endpoint (the workers'), after a HEAD: its size. Good
        for ``seconds``, up to the week SigV4 allows."""
        with _translated(key):
            head = self._client().head_object(Bucket=self.bucket, Key=self._key(key))
            url = self._client().generate_presigned_url(
                "get_object",
                Params={"Bucket": self.bucket, "Key": self._key(key)},
                ExpiresIn=min(seconds, LONGEST_PRESIGNED_SECONDS),
            )
        return Readable(url, head["ContentLength"])

    def exists(self, key: str) -> bool:
        try:
            with _translated(key):
                self._client().head_object(Bucket=self.bucket, Key=self._key(key))
        except MissingObject:
            return False
        return True

    def delete_prefix(self, prefix: str) -> int:
        """Objects and unfinished multipart uploads under the prefix (nothing dangles)."""
        client, full = self._client(), self._key(prefix)
        with _translated(prefix):
            keys = [self._key(key) for key in self.keys(prefix)]
            for start in range(0, len(keys), 1000):
                batch: list[ObjectIdentifierTypeDef] = [{"Key": key} for key in keys[start : start + 1000]]
                client.delete_objects(Bucket=self.bucket, Delete={"Objects": batch, "Quiet": True})
            for upload in client.list_multipart_uploads(Bucket=self.bucket, Prefix=full).get("Uploads", []):
                client.abort_multipart_upload(
                    Bucket=self.bucket, Key=upload["Key"], UploadId=upload["UploadId"]
                )
        return len(keys)

    def keys(self, prefix: str) -> list[str]:
        found: list[str] = []
        with _translated(prefix):
            pages = self._client().get_paginator("list_objects_v2")
            for page in pages.paginate(Bucket=self.bucket, Prefix=self._key(prefix)):
                found += [item["Key"][len(self.prefix) :] for item in page.get("Contents", [])]
        return sorted(found)

    def serve(self, key: str, download_name: str, content_type: str) -> Redirect:
        if not self.exists(key):
            raise MissingObject(key)
        params = {
            "Bucket": self.bucket,
            "Key": self._key(key),
            "ResponseContentDisposition": attachment(download_name),
            "ResponseContentType": content_type,
        }
        with _translated(key):  # signing is local: no request to the store
            url = self._client("public").generate_presigned_url(
                "get_object", Params=params, ExpiresIn=PRESIGNED_URL_SECONDS
            )
        return Redirect(url)

    def check(self) -> None:
        with _translated(""):
            self._client().head_bucket(Bucket=self.bucket)

    def start_parts(self, key: str, size: int, part_size: int) -> str:
        with _translated(key):
            started = self._client().create_multipart_upload(Bucket=self.bucket, Key=self._key(key))
        return started["UploadId"]

    def part_url(self, key: str, upload_id: str, number: int, seconds: int, size: int) -> str:
        params = {"Bucket": self.bucket, "Key": self._key(key), "UploadId": upload_id, "PartNumber": number,
                  "ContentLength": size}  # fmt: skip  # signed: the store takes this many bytes, no more
        with _translated(key):  # signing is local: no request to the store
            return self._client("public").generate_presigned_url(
                "upload_part", Params=params, ExpiresIn=seconds
            )

    def write_part(
        self, key: str, upload_id: str, number: int, read: Callable[[int], bytes], size: int
    ) -> None:
        raise StorageError("parts go straight to the object store, through their presigned URLs")

    def _listed_parts(self, key: str, upload_id: str) -> dict[int, tuple[int, str]]:
        found: dict[int, tuple[int, str]] = {}
        with _translated(key):
            pages = self._client().get_paginator("list_parts")
            for page in pages.paginate(Bucket=self.bucket, Key=self._key(key), UploadId=upload_id):
                for part in page.get("Parts", []):
                    found[part["PartNumber"]] = (part["Size"], part["ETag"])
        return found

    def parts(self, key: str, upload_id: str) -> dict[int, int]:
        try:
            listed = self._listed_parts(key, upload_id)
        except MissingObject:
            return {}  # completed, aborted, or expired by the store: no parts
        return {number: size for number, (size, _) in listed.items()}

    def join_parts(self, key: str, upload_id: str, sizes: dict[int, int]) -> None:
        listed = self._listed_parts(key, upload_id)
        wrong = [number for number, size in sizes.items() if listed.get(number, (None,))[0] != size]
        if wrong:
            raise MissingObject(f"part {wrong[0]} of upload {upload_id} is missing or not of its size")
        # The ETags of this listing: a part replaced after it fails the completion, never slips in.
        chosen: list[CompletedPartTypeDef] = [
            {"PartNumber": number, "ETag": listed[number][1]} for number in sorted(sizes)
        ]
        with _translated(key):
            self._client().complete_multipart_upload(
                Bucket=self.bucket, Key=self._key(key), UploadId=upload_id, MultipartUpload={"Parts": chosen}
            )
            stored = self._client().head_object(Bucket=self.bucket, Key=self._key(key))["ContentLength"]
        if stored != sum(sizes.values()):
            self.delete_prefix(key)
            raise MissingObject(f"upload {upload_id} joined into {stored} bytes, not {sum(sizes.values())}")

    def abort_parts(self, key: str, upload_id: str) -> None:
        try:
            with _translated(key):
                self._client().abort_multipart_upload(
                    Bucket=self.bucket, Key=self._key(key), UploadId=upload_id
                )
        except MissingObject:
            pass  # already gone: completed, aborted or expired by the store

    def unfinished_uploads(self) -> list[str]:
        """Keys with a multipart upload still open under this prefix (for tests and operators)."""
        with _translated(""):
            listed = self._client().list_multipart_uploads(Bucket=self.bucket, Prefix=self.prefix)
        return [upload["Key"][len(self.prefix) :] for upload in listed.get("Uploads", [])]

    def head_copy(self, key: str, folder: Path, size: int) -> Path:
        folder.mkdir(parents=True, exist_ok=True)
        target = folder / "head"
        spans = [(0, min(size, HEAD_COPY_BYTES))]
        if size > HEAD_COPY_BYTES:
            spans.append((max(size - HEAD_COPY_BYTES, HEAD_COPY_BYTES), size))
        with _translated(key), open(target, "wb") as out:
            out.truncate(size)  # sparse: the middle takes no disk
            for start, end in spans:
                answer = self._client().get_object(
                    Bucket=self.bucket, Key=self._key(key), Range=f"bytes={start}-{end - 1}"
                )
                out.seek(start)
                for chunk in answer["Body"].iter_chunks(MB):
                    out.write(chunk)
        return target


@contextmanager
def _translated(key: str) -> Iterator[None]:
    """boto3's errors as the storage interface's: MissingObject, or StorageError with a reason."""
    try:
        yield
    except ClientError as exc:
        error = exc.response.get("Error", {})
        if str(error.get("Code")) in _NOT_FOUND:
            raise MissingObject(key) from exc
        raise StorageError(
            f"the object store refused {key or 'the request'}: {error.get('Message') or exc}"
        ) from exc
    except BotoCoreError as exc:
        raise StorageError(f"the object store is unreachable: {exc}") from exc
