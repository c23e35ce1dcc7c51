"""File storage: attachments live outside the database, behind one interface.

`LocalStorage` keeps them in a folder (development and `make run`: the state folder's
``attachments``), `S3Storage` in a bucket of S3-compatible object storage (the chart). A key
is a relative, ``/``-separated path, ``{service}/{record_type}/{record_id}/{attachment_id}``;
both backends refuse a key that could leave its root (``..``, an absolute path) or collide
with their own temporary files (a segment starting with a dot).

`open` looks the key up when called, so a missing file is `StoredFileMissingError` before
the first byte is sent, and then yields the content in chunks: a large file is never held
in memory whole.
"""

from __future__ import annotations

import contextlib
import os
import re
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO, Protocol

if TYPE_CHECKING:
    from botocore.exceptions import ClientError
    from botocore.response import StreamingBody
    from types_boto3_s3 import S3Client

    from obcms_platform.settings import ServiceSettings

CHUNK_BYTES = 1 << 20
# A key segment: no separators, no NUL, not starting with a dot (".", "..", temporary files).
_SEGMENT = re.compile(r"[^./\\\x00][^/\\\x00]*")


class StoredFileMissingError(LookupError):
    """`open` of a key that is not stored."""


class InvalidStorageKeyError(ValueError):
    """A key that is empty, absolute, or has an empty, dotted or backslashed segment."""


class FileStorage(Protocol):
    def put(self, key: str, data: BinaryIO, *, content_type: str) -> None:
        """Store the whole of `data` (read to its end) under `key`, replacing any file."""

    def open(self, key: str) -> Iterator[bytes]:
        """The file's content in chunks; `StoredFileMissingError` when it is not stored."""

    def delete(self, key: str) -> None:
        """Remove the file; one that is not stored is no error (deletions are replayed)."""

    def exists(self, key: str) -> bool: ...

    def keys(self, prefix: str = "") -> Iterator[str]:
        """Every stored key that starts with `prefix`."""


def checked_key(key: str) -> str:
    """`key` itself when it is a safe relative path; `InvalidStorageKeyError` otherwise."""
    if not key or not all(_SEGMENT.fullmatch(segment) for segment in key.split("/")):
        raise InvalidStorageKeyError(f"invalid storage key {key!r}")
    return key


class LocalStorage:
    """A folder; a key is a path under it. A write goes to a temporary file in the target's
    folder and is renamed into place, so a reader sees the old file or the new one whole,
    never a part."""

    def __init__(self, root: Path) -> None:
        self.root = root.resolve()

    def path_of(self, key: str) -> Path:
        return self.root.joinpath(*checked_key(key).split("/"))

    def put(self, key: str, data: BinaryIO, *, content_type: str) -> None:
        target = self.path_of(key)
        # A concurrent delete may remove the (then empty) folder between mkdir and the
        # temporary file: make it again.
        for attempt in range(3):
            target.parent.mkdir(parents=True, exist_ok=True)
            try:
                handle, temporary = tempfile.mkstemp(dir=target.parent, prefix=".upload-")
                break
            except FileNotFoundError:
                if attempt == 2:
                    raise
        try:
            with os.fdopen(handle, "wb") as out:
                for chunk in iter(lambda: data.read(CHUNK_BYTES), b""):
                    out.write(chunk)
                out.flush()
                os.fsync(out.fileno())
            os.replace(temporary, target)
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(temporary)
            raise

    def open(self, key: str) -> Iterator[bytes]:
        try:
            handle = self.path_of(key).open("rb")
        except (FileNotFoundError, IsADirectoryError, NotADirectoryError) as exc:
            raise StoredFileMissingError(key) from exc
        return _chunks_of(handle)

    def delete(self, key: str) -> None:
        path = self.path_of(key)
        with contextlib.suppress(FileNotFoundError):
            path.unlink()
        # Empty record folders go too; a folder still in use (or refilled) stays.
        folder = path.parent
        while folder != self.root:
            try:
                folder.rmdir()
            except OSError:
                break
            folder = folder.parent

    def exists(self, key: str) -> bool:
        return self.path_of(key).is_file()

    def keys(self, prefix: str = "") -> Iterator[str]:
        if not self.root.is_dir():
            return
        for folder, folders, files in os.walk(self.root):
            folders[:] = sorted(name for name in folders if not name.startswith("."))
            relative = Path(folder).relative_to(self.root).as_posix()
            for name in sorted(files):
                if name.startswith("."):
                    continue
                key = name if relative == "." else f"{relative}/{name}"
                if key.startswith(prefix):
                    yield key


def _chunks_of(handle: BinaryIO) -> Iterator[bytes]:
    with handle:
        yield from iter(lambda: handle.read(CHUNK_BYTES), b"")


class S3Storage:
    """A bucket of S3 or an S3-compatible server (`endpoint_url`). Credentials come from
    boto3's standard chain (AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY, which the chart fills
    from an existing Secret). A put of a large file is a multipart upload (boto3's transfer
    manager), an open streams the object's body."""

    def __init__(
        self,
        bucket: str,
        *,
        endpoint_url: str | None = None,
        region: str = "us-east-1",
        client: S3Client | None = None,
    ) -> None:
        self.bucket = bucket
        if client is None:
            import boto3
            from botocore.config import Config

            # Path-style addressing for a server of our own (no bucket DNS names there).
            addressing = "path" if endpoint_url else "auto"
            client = boto3.client(
                "s3",
                endpoint_url=endpoint_url,
                region_name=region,
                config=Config(signature_version="s3v4", s3={"addressing_style": addressing}),
            )
        self.client: S3Client = client

    def put(self, key: str, data: BinaryIO, *, content_type: str) -> None:
        self.client.upload_fileobj(
            data, self.bucket, checked_key(key), ExtraArgs={"ContentType": content_type}
        )

    def open(self, key: str) -> Iterator[bytes]:
        from botocore.exceptions import ClientError

        try:
            answer = self.client.get_object(Bucket=self.bucket, Key=checked_key(key))
        except ClientError as exc:
            if _error_code(exc) in {"NoSuchKey", "404"}:
                raise StoredFileMissingError(key) from exc
            raise
        body = answer["Body"]
        return _body_chunks(body)

    def delete(self, key: str) -> None:
        self.client.delete_object(Bucket=self.bucket, Key=checked_key(key))

    def exists(self, key: str) -> bool:
        from botocore.exceptions import ClientError

        try:
            self.client.head_object(Bucket=self.bucket, Key=checked_key(key))
        except ClientError as exc:
            if _error_code(exc) in {"404", "NoSuchKey", "NotFound"}:
                return False
            raise
        return True

    def keys(self, prefix: str = "") -> Iterator[str]:
        pages = self.client.get_paginator("list_objects_v2").paginate(
            Bucket=self.bucket, Prefix=prefix
        )
        for page in pages:
            for entry in page.get("Contents", []):
                yield str(entry["Key"])


def _error_code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))


def _body_chunks(body: StreamingBody) -> Iterator[bytes]:
    try:
        for chunk in body.iter_chunks(CHUNK_BYTES):
            yield bytes(chunk)
    finally:
        body.close()


def storage_from_settings(settings: ServiceSettings, service: str) -> FileStorage:
    """The storage `settings` configure for `service`'s attachments: its local folder
    (shared by the services: keys start with the service's name) or its S3 bucket."""
    if settings.attachments_storage == "s3":
        if not settings.s3_bucket:
            raise ValueError(f"{service}: {settings.env_prefix}S3_BUCKET is not set")
        return S3Storage(
            settings.s3_bucket, endpoint_url=settings.s3_endpoint_url, region=settings.s3_region
        )
    return LocalStorage(settings.attachments_path)
