"""File storage: the local folder and S3 (against moto's S3 server, see `testing.s3`)."""

from __future__ import annotations

import hashlib
import io
import os
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import ClassVar

import pytest
from botocore.exceptions import ClientError
from pydantic import ValidationError

from obcms_platform.devstack.stack import process_environment
from obcms_platform.registry import DEPLOYABLES
from obcms_platform.settings import DEFAULT_ATTACHMENT_TYPES, ServiceSettings
from obcms_platform.storage import (
    CHUNK_BYTES,
    FileStorage,
    InvalidStorageKeyError,
    LocalStorage,
    S3Storage,
    StoredFileMissingError,
    storage_from_settings,
)
from obcms_platform.testing.s3 import S3Server


class FilesSettings(ServiceSettings):
    service_name: ClassVar[str] = "files"


DATABASES = {spec.name: f"postgresql://db/{spec.name}" for spec in DEPLOYABLES}
KEY = "tasks/task/0b5f0000-0000-4000-8000-000000000001/0b5f0000-0000-4000-8000-0000000000aa"


@pytest.fixture
def s3_env(s3_server: S3Server, monkeypatch: pytest.MonkeyPatch) -> S3Server:
    for name, value in s3_server.credentials_env().items():
        monkeypatch.setenv(name, value)
    return s3_server


@pytest.fixture(params=["local", "s3"])
def storage(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[FileStorage]:
    if request.param == "local":
        yield LocalStorage(tmp_path / "attachments")
    else:
        server: S3Server = request.getfixturevalue("s3_env")
        yield S3Storage(server.new_bucket(), endpoint_url=server.endpoint_url)


def read(storage: FileStorage, key: str) -> bytes:
    return b"".join(storage.open(key))


def test_a_stored_file_reads_back_and_is_listed_under_its_prefix(storage: FileStorage) -> None:
    storage.put(KEY, io.BytesIO(b"%PDF-1.7 minutes"), content_type="application/pdf")
    storage.put("portfolio/ppa/p1/a1", io.BytesIO(b"budget"), content_type="text/plain")

    assert read(storage, KEY) == b"%PDF-1.7 minutes"
    assert storage.exists(KEY)
    assert sorted(storage.keys()) == sorted([KEY, "portfolio/ppa/p1/a1"])
    assert list(storage.keys("portfolio/")) == ["portfolio/ppa/p1/a1"]
    assert list(storage.keys("calendar/")) == []


def test_a_put_replaces_the_file_under_the_same_key(storage: FileStorage) -> None:
    storage.put(KEY, io.BytesIO(b"first version"), content_type="text/plain")
    storage.put(KEY, io.BytesIO(b"second"), content_type="text/plain")
    assert read(storage, KEY) == b"second"
    assert list(storage.keys()) == [KEY]


def test_a_deleted_file_is_gone_and_deleting_it_again_is_no_error(storage: FileStorage) -> None:
    storage.put(KEY, io.BytesIO(b"x"), content_type="text/plain")
    storage.delete(KEY)
    storage.delete(KEY)  # an event replayed
    assert not storage.exists(KEY)
    assert list(storage.keys()) == []
    with pytest.raises(StoredFileMissingError):
        storage.open(KEY)


def test_opening_a_key_never_stored_fails_at_once(storage: FileStorage) -> None:
    # Before the first chunk is asked for: a download can still answer 404, not a cut stream.
    with pytest.raises(StoredFileMissingError):
        storage.open("tasks/task/nothing/here")
    assert not storage.exists("tasks/task/nothing/here")


def test_a_file_larger_than_a_chunk_streams_back_in_chunks(storage: FileStorage) -> None:
    # 9 MiB: past boto3's 8 MiB multipart threshold, so S3 gets a multipart upload.
    data = os.urandom(9 * 1024 * 1024)
    storage.put(KEY, io.BytesIO(data), content_type="application/pdf")
    chunks = list(storage.open(KEY))
    assert len(chunks) >= 9
    assert max(len(chunk) for chunk in chunks) <= CHUNK_BYTES
    assert hashlib.sha256(b"".join(chunks)).digest() == hashlib.sha256(data).digest()


@pytest.mark.parametrize(
    "key",
    [
        "",
        "../outside",
        "tasks/../../outside",
        "/etc/passwd",
        "tasks//double",
        "tasks/./here",
        "tasks/.hidden",
        "tasks\\..\\outside",
        "tasks/nul\x00byte",
        "tasks/trailing/",
    ],
)
def test_a_key_that_could_leave_the_root_is_refused(storage: FileStorage, key: str) -> None:
    with pytest.raises(InvalidStorageKeyError):
        storage.put(key, io.BytesIO(b"x"), content_type="text/plain")
    with pytest.raises(InvalidStorageKeyError):
        storage.open(key)
    with pytest.raises(InvalidStorageKeyError):
        storage.delete(key)
    assert list(storage.keys()) == []


def test_local_writes_are_atomic_and_leave_no_temporary_files(tmp_path: Path) -> None:
    storage = LocalStorage(tmp_path)
    storage.put(KEY, io.BytesIO(b"old " * 1000), content_type="text/plain")

    class FailingReader(io.RawIOBase):
        """A client that disconnects after the first chunk."""

        def __init__(self) -> None:
            self.sent = False

        def readable(self) -> bool:
            return True

        def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
            if self.sent:
                raise ConnectionResetError("client went away")
            self.sent = True
            buffer[:3] = b"new"
            return 3

    with pytest.raises(ConnectionResetError):
        storage.put(KEY, io.BufferedReader(FailingReader()), content_type="text/plain")

    assert read(storage, KEY) == b"old " * 1000  # the old file, whole
    assert [p.name for p in storage.path_of(KEY).parent.iterdir()] == [KEY.rsplit("/", 1)[1]]


def test_local_readers_never_see_a_partial_file(tmp_path: Path) -> None:
    storage = LocalStorage(tmp_path)
    versions = [bytes([n]) * (3 * CHUNK_BYTES) for n in range(1, 6)]
    storage.put(KEY, io.BytesIO(versions[0]), content_type="text/plain")
    seen: list[bytes] = []

    def reader() -> None:
        for _ in range(20):
            seen.append(read(storage, KEY))

    thread = threading.Thread(target=reader)
    thread.start()
    for version in versions[1:]:
        storage.put(KEY, io.BytesIO(version), content_type="text/plain")
    thread.join()
    assert seen
    assert all(content in versions for content in seen)


def test_local_delete_removes_the_emptied_record_folders(tmp_path: Path) -> None:
    storage = LocalStorage(tmp_path)
    storage.put(KEY, io.BytesIO(b"x"), content_type="text/plain")
    storage.put("tasks/task/other/a1", io.BytesIO(b"y"), content_type="text/plain")
    storage.delete(KEY)
    assert not storage.path_of(KEY).parent.exists()
    assert storage.exists("tasks/task/other/a1")


def test_an_s3_request_signed_with_a_wrong_secret_is_refused(s3_env: S3Server) -> None:
    # The server checks SigV4 signatures: the storage's requests are signed for real.
    bucket = s3_env.new_bucket()
    S3Storage(bucket, endpoint_url=s3_env.endpoint_url).put(
        KEY, io.BytesIO(b"x"), content_type="text/plain"
    )
    with pytest.raises(ClientError, match="SignatureDoesNotMatch"):
        s3_env.client(secret_access_key="not-the-secret").get_object(Bucket=bucket, Key=KEY)


def test_s3_keeps_the_content_type(s3_env: S3Server) -> None:
    bucket = s3_env.new_bucket()
    S3Storage(bucket, endpoint_url=s3_env.endpoint_url).put(
        KEY, io.BytesIO(b"%PDF-1.7"), content_type="application/pdf"
    )
    head = s3_env.client().head_object(Bucket=bucket, Key=KEY)
    assert head["ContentType"] == "application/pdf"


def test_s3_lists_more_keys_than_one_page(s3_env: S3Server) -> None:
    bucket = s3_env.new_bucket()
    storage = S3Storage(bucket, endpoint_url=s3_env.endpoint_url)
    client = s3_env.client()
    keys = sorted(f"tasks/task/t/{n:04d}" for n in range(1003))
    for key in keys:
        client.put_object(Bucket=bucket, Key=key, Body=b"")
    assert list(storage.keys("tasks/")) == keys


def test_settings_choose_the_storage(
    s3_env: S3Server, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OBCMS_STATE_DIR", str(tmp_path / "state"))
    local = storage_from_settings(FilesSettings(), "files")
    assert isinstance(local, LocalStorage)
    assert local.root == (tmp_path / "state" / "attachments").resolve()

    bucket = s3_env.new_bucket()
    monkeypatch.setenv("OBCMS_ATTACHMENTS_STORAGE", "s3")
    monkeypatch.setenv("OBCMS_S3_BUCKET", bucket)
    monkeypatch.setenv("OBCMS_S3_ENDPOINT_URL", s3_env.endpoint_url)
    s3 = storage_from_settings(FilesSettings(), "files")
    s3.put(KEY, io.BytesIO(b"via settings"), content_type="text/plain")
    assert s3_env.client().get_object(Bucket=bucket, Key=KEY)["Body"].read() == b"via settings"


def test_s3_storage_without_a_bucket_is_refused_naming_the_setting(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("OBCMS_FILES_ATTACHMENTS_STORAGE", "s3")
    with pytest.raises(ValidationError, match="OBCMS_FILES_S3_BUCKET"):
        FilesSettings()


def test_an_unknown_storage_kind_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OBCMS_ATTACHMENTS_STORAGE", "ftp")
    with pytest.raises(ValidationError, match="attachments_storage"):
        FilesSettings()


def test_attachment_limits_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    assert FilesSettings().attachment_types == list(DEFAULT_ATTACHMENT_TYPES)
    assert FilesSettings().attachment_max_bytes == 10 * 1024 * 1024
    monkeypatch.setenv("OBCMS_FILES_ATTACHMENT_TYPES", "application/pdf, Image/PNG")
    monkeypatch.setenv("OBCMS_ATTACHMENT_MAX_BYTES", "2048")
    monkeypatch.setenv("OBCMS_ATTACHMENT_SCAN_HOOK", "clamav_hook:scan")
    settings = FilesSettings()
    assert settings.attachment_types == ["application/pdf", "image/png"]
    assert settings.attachment_max_bytes == 2048
    assert settings.attachment_scan_hook == "clamav_hook:scan"


@pytest.mark.parametrize(
    ("variable", "value", "named"),
    [
        ("OBCMS_FILES_ATTACHMENT_TYPES", "pdf", "OBCMS_FILES_ATTACHMENT_TYPES"),
        ("OBCMS_FILES_ATTACHMENT_SCAN_HOOK", "clamav_hook.scan", "OBCMS_FILES_ATTACHMENT_SCAN"),
        ("OBCMS_FILES_ATTACHMENT_MAX_BYTES", "0", "attachment_max_bytes"),
        ("OBCMS_FILES_ATTACHMENT_MAX_PER_RECORD", "-1", "attachment_max_per_record"),
    ],
)
def test_bad_attachment_settings_are_refused_naming_them(
    monkeypatch: pytest.MonkeyPatch, variable: str, value: str, named: str
) -> None:
    monkeypatch.setenv(variable, value)
    with pytest.raises(ValidationError, match=named):
        FilesSettings()


def test_make_run_keeps_every_services_attachments_in_the_state_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A shell set up for something else (a bucket, another folder) does not leak into it.
    monkeypatch.setenv("OBCMS_ATTACHMENTS_STORAGE", "s3")
    monkeypatch.setenv("OBCMS_S3_BUCKET", "production-files")
    monkeypatch.setenv("OBCMS_ATTACHMENTS_DIR", str(tmp_path / "elsewhere"))
    env = process_environment("redis://127.0.0.1:6379/0", DATABASES, tmp_path / "state")
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    monkeypatch.chdir(tmp_path)  # not the default .obcms of the working folder
    storage = storage_from_settings(FilesSettings(), "files")
    storage.put(KEY, io.BytesIO(b"kept"), content_type="text/plain")
    assert (tmp_path / "state" / "attachments" / KEY).read_bytes() == b"kept"
