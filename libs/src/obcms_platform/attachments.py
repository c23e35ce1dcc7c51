"""Files attached to records (a task, a PPA, an assessment), declared once for any service.

A service declares what it attaches files to (`AttachableRecord`: its `Attachment` model,
made of `AttachmentColumns`, and the record type), the rules of it (`attachment_rules`),
the routes (`AttachmentRoutes`, under the record's address) and the removal of a deleted
record's files (`removing_files`, a handler of its own ``<record>.deleted`` event).

The file goes to the storage (`obcms_platform.storage`), its row (name, sniffed type, size,
SHA-256, storage key, uploader) to the service's ``attachments`` table. An upload is checked
before anything is stored: not empty (422), at most ``ATTACHMENT_MAX_BYTES`` (413), at most
``ATTACHMENT_MAX_PER_RECORD`` files on the record (409), of a type ``ATTACHMENT_TYPES`` allows
as libmagic finds it in the content, whatever the name says (415), and let through by the
virus-scan hook ``ATTACHMENT_SCAN_HOOK`` (422 with its reason). Then the file is stored and
its row written in the request's transaction; a transaction that fails removes the file.

Reading follows the record: whoever may read the record (its ``GET``, with the same service
function) may list its files and download one; a download is always ``Content-Disposition:
attachment`` of the sniffed type, never rendered in the browser's origin.
"""

# No `from __future__ import annotations`: FastAPI reads the annotations of the endpoints
# made here.

import codecs
import hashlib
import importlib
import logging
import re
import unicodedata
import uuid
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any, BinaryIO
from urllib.parse import quote

import magic
from fastapi import APIRouter, Depends, FastAPI, File, Request, Response, UploadFile, status
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, ConfigDict
from sqlalchemy import BigInteger, DateTime, Index, String, Uuid, delete, func, select
from sqlalchemy.orm import Mapped, Session, declared_attr, mapped_column

from obcms_platform import records
from obcms_platform.auth import CurrentPrincipal, Principal, Role
from obcms_platform.authz import Ownership, OwnershipLoader, Rule
from obcms_platform.bus import Event
from obcms_platform.bus.consumer import Handler
from obcms_platform.columns import Identified
from obcms_platform.db import DbSession
from obcms_platform.errors import (
    ConflictError,
    InvalidInputError,
    NotFoundError,
    PayloadTooLargeError,
    UnsupportedMediaTypeError,
    error_responses,
)
from obcms_platform.limits import ATTACHMENTS_SEGMENT
from obcms_platform.pagination import Page, Pagination, paginate
from obcms_platform.resource_routes import Write, Writes, endpoint
from obcms_platform.settings import ServiceSettings
from obcms_platform.storage import FileStorage, StoredFileMissingError, storage_from_settings

logger = logging.getLogger(__name__)

FILE_FIELD = "file"
CHUNK_BYTES = 1 << 20
# What libmagic reads of a file: the signatures of every allowed type, the office formats'
# first ZIP entries among them, are in its first bytes.
SNIFF_BYTES = 1 << 20
# Text has no signature: libmagic's text/* answer is checked as UTF-8 without NUL bytes and
# stored as plain text or, when the uploader declares a table, CSV (a browser declares a
# .csv file as text/csv, or as Excel's type where Excel is installed).
TEXT_TYPES = ("text/plain", "text/csv")
CSV_DECLARED = frozenset({"text/csv", "application/csv", "application/vnd.ms-excel"})
# Text that a browser renders or runs: reported as what it is, never taken for plain text.
MARKUP_TYPES = frozenset({"text/html", "text/xml"})
MAX_FILENAME_CHARS = 255


class AttachmentRejected(Exception):  # noqa: N818 - the scan hook's vocabulary, not an error of ours
    """Raised by the virus-scan hook to refuse an upload; `reason` is told to the uploader."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


# The virus-scan extension point (``ATTACHMENT_SCAN_HOOK="module:function"``): called with
# the file name as given, the content (a binary file at its start) and the sniffed type,
# before the file is stored; raises `AttachmentRejected` to refuse it.
ScanHook = Callable[[str, BinaryIO, str], None]


class AttachmentColumns(Identified):
    """Mixin of a service's ``attachments`` table (`migration_ops.create_attachments_table`):
    one row per stored file."""

    __tablename__ = "attachments"

    record_type: Mapped[str] = mapped_column(String(50))
    record_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    # As given (its last path segment, without control characters): shown, never a path.
    filename: Mapped[str] = mapped_column(String(MAX_FILENAME_CHARS))
    content_type: Mapped[str] = mapped_column(String(255))  # sniffed from the content
    size: Mapped[int] = mapped_column(BigInteger)
    sha256: Mapped[str] = mapped_column(String(64))
    storage_key: Mapped[str] = mapped_column(String(500), unique=True)
    uploaded_by: Mapped[uuid.UUID] = mapped_column(Uuid)
    uploaded_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now()
    )

    @declared_attr.directive
    def __table_args__(cls) -> tuple[Any, ...]:  # noqa: N805 (a declared_attr takes the class)
        return (Index(None, "record_type", "record_id"),)


class AttachmentRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    record_type: str
    record_id: uuid.UUID
    filename: str
    content_type: str
    size: int
    sha256: str
    uploaded_by: uuid.UUID
    uploaded_at: datetime


@dataclass(frozen=True)
class AttachableRecord:
    """A kind of record of `service` that takes files: its `record_type` (``"ppa"``, also the
    path parameter's stem, ``ppa_id``), the service's `model` of their rows and `what` the
    record is called in messages."""

    service: str
    record_type: str
    model: type[AttachmentColumns]
    what: str

    @property
    def record_param(self) -> str:
        return f"{self.record_type}_id"

    def prefix(self, record_id: uuid.UUID) -> str:
        """The storage key prefix of the record's files."""
        return f"{self.service}/{self.record_type}/{record_id}/"

    def key(self, record_id: uuid.UUID, attachment_id: uuid.UUID) -> str:
        return f"{self.prefix(record_id)}{attachment_id}"

    def rows(self, record_id: uuid.UUID) -> Any:
        """The statement of the record's attachment rows, oldest first."""
        model = self.model
        return (
            select(model)
            .where(model.record_type == self.record_type, model.record_id == record_id)
            .order_by(model.uploaded_at, model.id)
        )

    def find(
        self, session: Session, record_id: uuid.UUID, attachment_id: uuid.UUID
    ) -> AttachmentColumns:
        """The record's attachment `attachment_id`; 404 when it has none of that id."""
        found: AttachmentColumns | None = session.scalars(
            self.rows(record_id).where(self.model.id == attachment_id)
        ).one_or_none()
        if found is None:
            raise NotFoundError("attachment", attachment_id, field="attachment_id")
        return found


@dataclass(frozen=True)
class AttachmentLimits:
    """What an upload may be (the settings ``ATTACHMENT_*``)."""

    max_bytes: int
    max_per_record: int
    types: frozenset[str]
    scan: ScanHook | None = None

    @classmethod
    def of(cls, settings: ServiceSettings) -> "AttachmentLimits":
        scan = None
        if settings.attachment_scan_hook is not None:
            scan = _scan_hook(settings.attachment_scan_hook, settings.env_prefix)
        return cls(
            settings.attachment_max_bytes,
            settings.attachment_max_per_record,
            frozenset(settings.attachment_types),
            scan,
        )


def _scan_hook(path: str, env_prefix: str) -> ScanHook:
    """The function ``module:function`` names; ValueError naming the setting otherwise (at
    start-up, not at the first upload)."""
    module, _, name = path.partition(":")
    try:
        found = getattr(importlib.import_module(module), name)
    except (ImportError, AttributeError) as exc:
        raise ValueError(f"{env_prefix}ATTACHMENT_SCAN_HOOK: cannot load {path}: {exc}") from exc
    if not callable(found):
        raise ValueError(f"{env_prefix}ATTACHMENT_SCAN_HOOK: {path} is not a function")
    hook: ScanHook = found
    return hook


@dataclass(frozen=True)
class AttachmentFiles:
    """A process's storage of attachments and the limits of uploads, built once."""

    storage: FileStorage
    limits: AttachmentLimits

    @classmethod
    def of(cls, settings: ServiceSettings) -> "AttachmentFiles":
        storage = storage_from_settings(settings, settings.service_name)
        return cls(storage, AttachmentLimits.of(settings))


def serve_attachments(settings: ServiceSettings) -> Callable[[FastAPI], None]:
    """The `extend` of a service app whose routes take files (`create_service_app`)."""

    def extend(app: FastAPI) -> None:
        app.state.attachment_files = AttachmentFiles.of(settings)

    return extend


def _files(request: Request) -> AttachmentFiles:
    files: AttachmentFiles = request.app.state.attachment_files
    return files


# --- checking an upload ------------------------------------------------------------------


def display_name(given: str | None) -> str:
    """The file's name for display: its last path segment, NFC, without control or format
    characters, at most 255 characters (keeping a short extension); ``file`` when nothing
    is left."""
    name = re.split(r"[/\\]", given or "")[-1]
    name = "".join(
        char for char in unicodedata.normalize("NFC", name) if unicodedata.category(char)[0] != "C"
    ).strip()
    if len(name) > MAX_FILENAME_CHARS:
        stem, dot, extension = name.rpartition(".")
        if dot and stem and len(extension) <= 16:
            name = f"{stem[: MAX_FILENAME_CHARS - len(extension) - 1]}.{extension}"
        else:
            name = name[:MAX_FILENAME_CHARS]
    return name or "file"


def _measured(content: BinaryIO) -> tuple[int, str]:
    """The content's size and SHA-256 (hex), read from its start."""
    content.seek(0)
    digest = hashlib.sha256()
    size = 0
    for chunk in iter(lambda: content.read(CHUNK_BYTES), b""):
        digest.update(chunk)
        size += len(chunk)
    return size, digest.hexdigest()


def _is_utf8_text(content: BinaryIO) -> bool:
    content.seek(0)
    decoder = codecs.getincrementaldecoder("utf-8")()
    try:
        for chunk in iter(lambda: content.read(CHUNK_BYTES), b""):
            if b"\x00" in chunk:
                return False
            decoder.decode(chunk)
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return False
    return True


def sniffed_type(content: BinaryIO, declared: str | None) -> str:
    """The content's MIME type as libmagic finds it (the name plays no part); text is
    ``text/plain`` or, declared as a table, ``text/csv``, and only as valid UTF-8 without NUL
    bytes (415 otherwise)."""
    content.seek(0)
    found = magic.from_buffer(content.read(SNIFF_BYTES), mime=True)
    if not found.startswith("text/") or found in MARKUP_TYPES:
        return found
    if not _is_utf8_text(content):
        raise UnsupportedMediaTypeError(
            f"{FILE_FIELD}: text files must be UTF-8 without NUL bytes", field=FILE_FIELD
        )
    declared_type = (declared or "").partition(";")[0].strip().lower()
    return "text/csv" if declared_type in CSV_DECLARED else "text/plain"


def _lock_record_files(session: Session, record: Any) -> None:
    """Hold the record while its file is stored: its deletion waits for this upload's commit
    (so its ``deleted`` event finds the row), and so do other uploads to it (the count)."""
    model = type(record)
    session.execute(select(model.id).where(model.id == record.id).with_for_update(key_share=True))
    records.serialise(session, record.id)


def upload(
    session: Session,
    files: AttachmentFiles,
    attachable: AttachableRecord,
    record: Any,
    given: UploadFile,
    principal: Principal,
) -> AttachmentColumns:
    """Store `given` as a file of `record` (found by the caller) and add its row (flushed);
    nothing is stored when it is refused. The caller commits, or removes the stored file
    (`committed_or_removed`)."""
    limits = files.limits
    content = given.file
    size, sha256 = _measured(content)
    if size == 0:
        raise InvalidInputError(f"{FILE_FIELD}: the file is empty", field=FILE_FIELD)
    if size > limits.max_bytes:
        raise PayloadTooLargeError(
            f"{FILE_FIELD}: the file is larger than the limit of {limits.max_bytes} bytes",
            field=FILE_FIELD,
        )
    content_type = sniffed_type(content, given.content_type)
    if content_type not in limits.types:
        raise UnsupportedMediaTypeError(
            f"{FILE_FIELD}: files of type {content_type} are not accepted", field=FILE_FIELD
        )
    _lock_record_files(session, record)
    model = attachable.model
    held = session.scalar(
        select(func.count())
        .select_from(model)
        .where(model.record_type == attachable.record_type, model.record_id == record.id)
    )
    if (held or 0) >= limits.max_per_record:
        raise ConflictError(
            f"{FILE_FIELD}: the {attachable.what} has {held} files, the most it may have",
            field=FILE_FIELD,
        )
    filename = display_name(given.filename)
    if limits.scan is not None:
        content.seek(0)
        try:
            limits.scan(given.filename or filename, content, content_type)
        except AttachmentRejected as refused:
            raise InvalidInputError(f"{FILE_FIELD}: {refused.reason}", field=FILE_FIELD) from None
    attachment = model()
    attachment.id = uuid.uuid4()
    attachment.record_type = attachable.record_type
    attachment.record_id = record.id
    attachment.filename = filename
    attachment.content_type = content_type
    attachment.size = size
    attachment.sha256 = sha256
    attachment.uploaded_by = principal.user_id
    attachment.storage_key = attachable.key(record.id, attachment.id)
    content.seek(0)
    files.storage.put(attachment.storage_key, content, content_type=content_type)
    with committed_or_removed(session, files.storage, attachment.storage_key, commit=False):
        session.add(attachment)
        session.flush()
    return attachment


@contextmanager
def committed_or_removed(
    session: Session, storage: FileStorage, key: str, *, commit: bool = True
) -> Iterator[None]:
    """Around the writing of a stored file's row (and, with `commit`, the commit after it):
    when it fails, the stored file is removed, so that no file is left without its row."""
    try:
        yield
        if commit:
            session.commit()
    except BaseException:
        storage.delete(key)
        raise


def remove_files_of(
    session: Session, storage: FileStorage, attachable: AttachableRecord, record_id: uuid.UUID
) -> int:
    """Delete the record's attachment rows and stored files (also a file whose row was never
    committed); a second call finds nothing. Returns how many files were removed."""
    model = attachable.model
    keys = session.scalars(
        delete(model)
        .where(model.record_type == attachable.record_type, model.record_id == record_id)
        .returning(model.storage_key)
    ).all()
    stored = {*keys, *storage.keys(attachable.prefix(record_id))}
    for key in sorted(stored):
        storage.delete(key)
    return len(stored)


def removing_files(storage: FileStorage, attachable: AttachableRecord) -> Handler:
    """The handler of the record's ``deleted`` event: its files and their rows go (replayed,
    it removes nothing more)."""

    def on_record_deleted(session: Session, event: Event) -> None:
        if event.subject_id is not None:
            remove_files_of(session, storage, attachable, event.subject_id)

    on_record_deleted.__name__ = f"remove_{attachable.record_type}_files"
    return on_record_deleted


# --- who may ------------------------------------------------------------------------------


@dataclass(frozen=True)
class AttachmentRules:
    upload: Rule
    delete: Rule


def attachment_rules(
    attachable: AttachableRecord, *, owners: OwnershipLoader, owners_are: str
) -> AttachmentRules:
    """The rules of a record's files: whoever may read the record may attach one (every
    signed-in staff member reads every record today); its uploader, the record's `owners`
    (the service's loader of them) or a manager may delete one."""
    what = f"{'an' if attachable.what[0] in 'aeiou' else 'a'} {attachable.what}"

    def uploader_and_owners(session: Session, params: Mapping[str, Any]) -> Ownership:
        found = attachable.find(
            session,
            uuid.UUID(str(params[attachable.record_param])),
            uuid.UUID(str(params["attachment_id"])),
        )
        return Ownership.of(owners(session, params).owners, found.uploaded_by)

    return AttachmentRules(
        upload=Rule(
            f"{attachable.record_type}.attach", f"Attach a file to {what}", role=Role.STAFF
        ),
        delete=Rule.owned(
            f"{attachable.record_type}.detach",
            f"Delete a file attached to {what}",
            loader=uploader_and_owners,
            owners_are=f"the file's uploader; {owners_are}",
        ),
    )


# --- routes -------------------------------------------------------------------------------


def content_disposition(filename: str, ascii_name: str | None = None) -> str:
    """``attachment`` with the name in RFC 6266's UTF-8 form: any name, never inline; with
    `ascii_name` (letters, digits, ``.-_`` only), first the plain name a client that does not
    read the UTF-8 form saves the file as."""
    plain = f'filename="{ascii_name}"; ' if ascii_name else ""
    return f"attachment; {plain}filename*=UTF-8''{quote(filename, safe='')}"


class AttachmentRoutes:
    """The routes of a record's files on `router` (the record's collection, whose prefix is
    its address): ``{prefix}/{<record>_id}/attachments`` lists (GET) and takes (POST, a
    multipart form's ``file``) them; ``…/attachments/{attachment_id}`` is one (GET, DELETE)
    and ``…/content`` its bytes.

    Reading takes what reading the record takes: `get` is the function of the record's own
    ``GET`` (404 when there is no record), with the same signed-in caller.
    """

    def __init__(
        self,
        router: APIRouter,
        attachable: AttachableRecord,
        rules: AttachmentRules,
        get: Callable[[Session, uuid.UUID], Any],
    ) -> None:
        self.router = router
        self.attachable = attachable
        self.rules = rules
        self.get = get
        self.param = attachable.record_param
        self.path = f"/{{{self.param}}}/{ATTACHMENTS_SEGMENT}"
        self.name = attachable.record_type
        self._list()
        self._upload()
        self._one()
        self._content()
        self._delete()

    def _list(self) -> None:
        attachable, get = self.attachable, self.get

        def handle(session: Session, page: Any, **ids: Any) -> Page[AttachmentRead]:
            record = get(session, ids[self.param])
            rows, total = paginate(session, attachable.rows(record.id), page)
            return Page[AttachmentRead].of(rows, total, page)

        self.router.add_api_route(
            self.path,
            endpoint(
                handle,
                (self.param, uuid.UUID),
                ("session", DbSession),
                ("principal", CurrentPrincipal),
                ("page", Pagination),
            ),
            methods=["GET"],
            name=f"list_{self.name}_attachments",
            response_model=Page[AttachmentRead],
            responses=error_responses(404),
        )

    def _upload(self) -> None:
        attachable, get = self.attachable, self.get

        def handle(
            write: Write, files: AttachmentFiles, file: UploadFile, **ids: Any
        ) -> AttachmentRead:
            record = get(write.session, ids[self.param])
            attachment = upload(write.session, files, attachable, record, file, write.principal)
            with committed_or_removed(write.session, files.storage, attachment.storage_key):
                answer = AttachmentRead.model_validate(attachment)
            write.response.headers["Location"] = (
                f"{self.router.prefix}/{record.id}/{ATTACHMENTS_SEGMENT}/{attachment.id}"
            )
            return answer

        self.router.add_api_route(
            self.path,
            endpoint(
                handle,
                (self.param, uuid.UUID),
                ("write", Annotated[Write, Writes(self.rules.upload, if_match=False)]),
                ("files", Annotated[AttachmentFiles, Depends(_files)]),
                ("file", Annotated[UploadFile, File(description="the file to attach")]),
            ),
            methods=["POST"],
            name=f"attach_{self.name}_file",
            response_model=AttachmentRead,
            status_code=status.HTTP_201_CREATED,
            responses=error_responses(404, 409, 413, 415),
            description=(
                "Attach a file (multipart form field `file`). Its type is sniffed from the "
                "content; 413 over the size limit, 415 of a type not accepted, 409 when the "
                "record has the most files it may have, 422 when empty or refused by the scan."
            ),
        )

    def _one(self) -> None:
        attachable, get = self.attachable, self.get

        def handle(session: Session, **ids: Any) -> AttachmentColumns:
            record = get(session, ids[self.param])
            return attachable.find(session, record.id, ids["attachment_id"])

        self.router.add_api_route(
            f"{self.path}/{{attachment_id}}",
            endpoint(
                handle,
                (self.param, uuid.UUID),
                ("attachment_id", uuid.UUID),
                ("session", DbSession),
                ("principal", CurrentPrincipal),
            ),
            methods=["GET"],
            name=f"get_{self.name}_attachment",
            response_model=AttachmentRead,
            responses=error_responses(404),
        )

    def _content(self) -> None:
        attachable, get = self.attachable, self.get

        def handle(session: Session, files: AttachmentFiles, **ids: Any) -> Response:
            record = get(session, ids[self.param])
            attachment = attachable.find(session, record.id, ids["attachment_id"])
            try:
                chunks: Iterator[bytes] = files.storage.open(attachment.storage_key)
            except StoredFileMissingError:
                logger.warning("stored file %s is missing", attachment.storage_key)
                raise NotFoundError("the stored file of attachment", attachment.id) from None
            return StreamingResponse(
                chunks,
                media_type=attachment.content_type,
                headers={
                    "Content-Length": str(attachment.size),
                    "Content-Disposition": content_disposition(attachment.filename),
                    "X-Content-Type-Options": "nosniff",
                    "Cache-Control": "private, no-store",
                },
            )

        self.router.add_api_route(
            f"{self.path}/{{attachment_id}}/content",
            endpoint(
                handle,
                (self.param, uuid.UUID),
                ("attachment_id", uuid.UUID),
                ("session", DbSession),
                ("principal", CurrentPrincipal),
                ("files", Annotated[AttachmentFiles, Depends(_files)]),
                returns=Response,
            ),
            methods=["GET"],
            name=f"download_{self.name}_attachment",
            response_class=StreamingResponse,
            responses={
                200: {"content": {"application/octet-stream": {}}, "description": "the file"},
                **error_responses(404),
            },
        )

    def _delete(self) -> None:
        attachable = self.attachable

        def handle(write: Write, files: AttachmentFiles, **ids: Any) -> Response:
            attachment = attachable.find(write.session, ids[self.param], ids["attachment_id"])
            write.session.delete(attachment)
            answer = write.no_content()
            # Committed: the file goes now. Should the storage fail here, the file is left
            # without a row, which `obcmsctl integrity` reports.
            try:
                files.storage.delete(attachment.storage_key)
            except Exception:
                logger.exception("stored file %s not removed", attachment.storage_key)
            return answer

        self.router.add_api_route(
            f"{self.path}/{{attachment_id}}",
            endpoint(
                handle,
                (self.param, uuid.UUID),
                ("attachment_id", uuid.UUID),
                ("write", Annotated[Write, Writes(self.rules.delete, if_match=False)]),
                ("files", Annotated[AttachmentFiles, Depends(_files)]),
                returns=Response,
            ),
            methods=["DELETE"],
            name=f"delete_{self.name}_attachment",
            response_model=None,
            status_code=status.HTTP_204_NO_CONTENT,
            responses=error_responses(403, 404),
        )
