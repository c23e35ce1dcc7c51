"""The stored files of the services whose records carry attachments (the registry's
`stores_files`): each service's storage, as its own settings configure it from the
environment (``OBCMS_<SERVICE>_ATTACHMENTS_STORAGE``, ``..._S3_BUCKET``, boto3's AWS
credentials...), and its ``attachments`` rows, read with plain SQL (ops imports no service
model for them: a database migrated before attachments existed has no such table).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass

import psycopg
from pydantic import ValidationError

from obcms_platform import registry
from obcms_platform.storage import FileStorage, storage_from_settings
from obcmsctl import services


class StorageSettingsError(ValueError):
    pass


@dataclass(frozen=True)
class AttachmentRow:
    id: str
    record_type: str
    record_id: str
    storage_key: str
    size: int
    sha256: str
    content_type: str


def file_services(names: Iterable[str]) -> list[services.Service]:
    """The services among `names` that store files."""
    wanted = set(names)
    return [service for service in registry.file_stores() if service.name in wanted]


def storage_of(service: services.Service) -> FileStorage:
    """`service`'s storage, configured as the service itself reads its environment."""
    try:
        settings = service.settings_type()()
    except ValidationError as exc:
        raise StorageSettingsError(f"{service.name} settings: {exc}") from exc
    return storage_from_settings(settings, service.name)


def storages_of(names: Iterable[str]) -> dict[str, FileStorage]:
    return {service.name: storage_of(service) for service in file_services(names)}


def prefix(service: str) -> str:
    """Every key of a service's files starts with it (``{service}/{record_type}/...``)."""
    return f"{service}/"


def attachment_rows(url: str) -> list[AttachmentRow] | None:
    """Every row of the database's ``attachments`` table; None when it has none."""
    with psycopg.connect(services.libpq_dsn(url)) as conn:
        (table,) = conn.execute("SELECT to_regclass('attachments')").fetchone() or (None,)
        if table is None:
            return None
        rows = conn.execute(
            "SELECT id, record_type, record_id, storage_key, size, sha256, content_type "
            "FROM attachments ORDER BY storage_key"
        ).fetchall()
    return [
        AttachmentRow(
            id=str(row[0]),
            record_type=str(row[1]),
            record_id=str(row[2]),
            storage_key=row[3],
            size=int(row[4]),
            sha256=row[5],
            content_type=row[6],
        )
        for row in rows
    ]


def digest_of(chunks: Iterable[bytes]) -> tuple[int, str]:
    """(size, sha256 hex) of a stream of chunks."""
    digest = hashlib.sha256()
    size = 0
    for chunk in chunks:
        digest.update(chunk)
        size += len(chunk)
    return size, digest.hexdigest()
