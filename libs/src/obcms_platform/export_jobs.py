"""Large exports as background jobs: requested through the API, written by the service's own
worker into the storage, downloaded by their requester once done.

A list that answers ``?format=csv|xlsx`` (`ResourceRoutes.list` with an `Export`) is also an
`ExportableList`: a service declares the ones it exports in the background (`ExportJobs`, with
its ``export_jobs`` table made of `ExportJobColumns`) and `ExportJobRoutes` serves
``/api/v1/<service>-exports`` (the registry's `exports_resource`, which the gateway routes as
any other resource): a request (202 with ``Location``; its filters are checked by the list's
own filters model, so a job is refused as the list would refuse the same query), a job's
progress, its file and the caller's jobs. Only the requester and admins see a job or its file.

A request commits the job (`queued`) with its ``export.requested`` event (the outbox): the
service's worker is woken by that event and runs nothing when idle. The worker (`run_job`)
claims the job with a lease (``FOR UPDATE SKIP LOCKED``: two deliveries never both run it),
writes the file with the synchronous export's functions (`exports.rows`, `csv_chunks`,
`xlsx_chunks`: the same columns, the same query, as the REQUESTER, whose id and roles the job
keeps) straight into the storage (``{service}/exports/{job_id}``), and commits its progress
every `ExportJobLimits.progress_rows` rows in a short transaction of its own, which renews the
lease (the heartbeat). A worker that dies leaves its job `running` with a lease that runs
out; its event, unacknowledged, comes back and the next delivery claims the job again and
writes it from the start. A job `done` or `failed` is never run again, whatever is replayed.
The end commits `done` with ``export.completed``, or `failed` with a message for people and
``export.failed``: either way the notifications service tells the requester. Then files
whose time is up are deleted.
"""

# No `from __future__ import annotations`: FastAPI reads the annotations of the endpoints
# made here.

import io
import logging
import uuid
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Annotated, Any, get_origin

from fastapi import APIRouter, Request, Response, status
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from sqlalchemy import (
    BigInteger,
    DateTime,
    Index,
    Integer,
    String,
    Text,
    Uuid,
    and_,
    func,
    or_,
    select,
    update,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.orm import Mapped, Session, declared_attr, mapped_column

from obcms_platform import exports, registry
from obcms_platform.attachments import content_disposition
from obcms_platform.auth import CurrentPrincipal, Principal, Role
from obcms_platform.authz import Authorize, Rule, owned_by
from obcms_platform.bus import Event, Outbox
from obcms_platform.bus.consumer import Handler
from obcms_platform.columns import Identified
from obcms_platform.contracts import (
    EXPORT_COMPLETED,
    EXPORT_FAILED,
    EXPORT_REQUESTED,
    ExportCompleted,
    ExportFailed,
    ExportRequested,
)
from obcms_platform.db import DbSession, enum_column
from obcms_platform.errors import (
    AppError,
    InvalidInputError,
    NotFoundError,
    error_responses,
    plain_message,
)
from obcms_platform.exports import ExportableList, ExportFormat
from obcms_platform.pagination import Page, Pagination, paginate
from obcms_platform.resource_routes import Write, Writes, collection_router, endpoint
from obcms_platform.settings import ServiceSettings
from obcms_platform.storage import FileStorage, StoredFileMissingError
from obcms_platform.vocabulary import ExportJobStatus
from obcms_platform.zones import zone_named

logger = logging.getLogger(__name__)

# The storage's folder of a service's export files (``{service}/exports/{job_id}``).
EXPORTS_FOLDER = "exports"
# The formats a job writes (a JSON page is never a job).
FILE_FORMATS = (ExportFormat.CSV, ExportFormat.XLSX)
MEDIA_TYPES = {ExportFormat.CSV: exports.CSV_MEDIA_TYPE, ExportFormat.XLSX: exports.XLSX_MEDIA_TYPE}
FINISHED = (ExportJobStatus.DONE, ExportJobStatus.FAILED)
# What a requester is told of a failure that is not theirs to fix (the log has the rest).
UNEXPECTED_FAILURE = (
    "The export could not be written. Try again; if it fails again, tell an administrator "
    "(job {job_id})."
)


class ExportJobColumns(Identified):
    """Mixin of a service's ``export_jobs`` table (`migration_ops.create_export_jobs_table`)."""

    __tablename__ = "export_jobs"

    resource: Mapped[str] = mapped_column(String(50))
    format: Mapped[ExportFormat] = mapped_column(enum_column(ExportFormat, "format"))
    # The list's filters as the request gave them (its filters model reads them back).
    filters: Mapped[dict[str, Any]] = mapped_column(JSONB)
    # The requester, whose rights the rows are read with.
    requested_by: Mapped[uuid.UUID] = mapped_column(Uuid)
    requester_roles: Mapped[list[str]] = mapped_column(ARRAY(String(32)))
    # Their IANA time zone (None: the office's): the file's moments and its date are theirs.
    requester_time_zone: Mapped[str | None] = mapped_column(String(64))
    status: Mapped[ExportJobStatus] = mapped_column(enum_column(ExportJobStatus, "status"))
    rows_total: Mapped[int | None] = mapped_column(Integer)
    rows_done: Mapped[int] = mapped_column(Integer, default=0)
    storage_key: Mapped[str | None] = mapped_column(String(500))
    size: Mapped[int | None] = mapped_column(BigInteger)
    error: Mapped[str | None] = mapped_column(Text)
    # Runs started (a worker that died leaves one more than it finished).
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    # The worker running it, and until when its claim holds without a heartbeat.
    claimed_by: Mapped[str | None] = mapped_column(String(100))
    lease_expires_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    started_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    expires_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    @declared_attr.directive
    def __table_args__(cls) -> tuple[Any, ...]:  # noqa: N805 (a declared_attr takes the class)
        return (Index(None, "requested_by", "created_at"), Index(None, "expires_at"))

    def file_name(self) -> str:
        """``tasks-2026-12-06.csv``: the list's name and the day it was requested (the
        requester's day)."""
        day: date = self.created_at.astimezone(zone_named(self.requester_time_zone)).date()
        return f"{self.resource}-{day.isoformat()}.{self.format.value}"


class ExportJobCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    resource: str = Field(max_length=50, description="the list: its export's name (`tasks`)")
    format: ExportFormat = Field(description="csv or xlsx")
    filters: dict[str, Any] = Field(
        default_factory=dict, description="the list's filters, as its query parameters"
    )


class ExportJobRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    resource: str
    format: ExportFormat
    filters: dict[str, Any]
    requested_by: uuid.UUID
    status: ExportJobStatus
    rows_total: int | None
    rows_done: int
    size: int | None
    error: str | None
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    expires_at: datetime | None
    file_name: str
    # Whether the file can be downloaded now (done, and not yet expired).
    downloadable: bool

    @classmethod
    def of(cls, job: ExportJobColumns) -> "ExportJobRead":
        return cls.model_validate(
            {
                **{name: getattr(job, name) for name in cls.model_fields if hasattr(job, name)},
                "file_name": job.file_name(),
                "downloadable": job.status is ExportJobStatus.DONE and job.storage_key is not None,
            }
        )


@dataclass(frozen=True)
class ExportJobLimits:
    """How jobs run (the settings ``EXPORT_*``): the claim's `lease` without a heartbeat,
    the rows between two progress commits, how long a file is kept."""

    lease: timedelta = timedelta(minutes=2)
    progress_rows: int = 1_000
    retention: timedelta = timedelta(days=3)

    @classmethod
    def of(cls, settings: ServiceSettings) -> "ExportJobLimits":
        return cls(
            timedelta(seconds=settings.export_lease_seconds),
            settings.export_progress_rows,
            timedelta(hours=settings.export_retention_hours),
        )


@dataclass(frozen=True)
class ExportJobs:
    """A service's export jobs: its name (the storage keys' and events' first word), its
    `model` of the ``export_jobs`` table, its `outbox` and the lists it exports."""

    service: str
    model: type[ExportJobColumns]
    outbox: Outbox
    lists: tuple[ExportableList, ...]
    catalog: Mapping[str, ExportableList] = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "catalog", {listed.resource: listed for listed in self.lists})

    def key(self, job_id: uuid.UUID) -> str:
        return f"{self.service}/{EXPORTS_FOLDER}/{job_id}"

    def find(self, session: Session, job_id: uuid.UUID) -> ExportJobColumns:
        job = session.get(self.model, job_id)
        if job is None:
            raise NotFoundError("export", job_id, field="export_id")
        return job


def exportable(routes: Any) -> ExportableList:
    """The `ExportableList` of a `ResourceRoutes` whose list declares an `Export`."""
    listed: ExportableList | None = routes.exportable
    if listed is None:
        raise TypeError(f"the {routes.plural} list declares no export")
    return listed


def requester(job: ExportJobColumns) -> Principal:
    """The requester as they were when they asked: whose rights the rows are read with, in
    whose time zone its moments are written."""
    return Principal(
        job.requested_by,
        frozenset(Role(role) for role in job.requester_roles),
        job.requester_time_zone,
    )


def checked_filters(listed: ExportableList, given: Mapping[str, Any]) -> BaseModel:
    """`given` read by the list's filters model; 422 naming ``filters.<field>`` otherwise
    (also a filter the list does not have: its query string would ignore it, a job that
    silently exports more than asked would not be noticed)."""
    known = listed.filters_model.model_fields
    for name in given:
        if name not in known:
            raise InvalidInputError(
                f"filters.{name}: the {listed.resource} list has no such filter",
                field=f"filters.{name}",
            )
    # A filter of several values given one value, as its query parameter given once reads.
    read = {
        name: [value]
        if get_origin(known[name].annotation) is list and not isinstance(value, list)
        else value
        for name, value in given.items()
    }
    try:
        return listed.filters_model.model_validate(read)
    except ValidationError as exc:
        error = exc.errors()[0]
        # The filter, not the position of a repeated value in it.
        where = ".".join(("filters", *(part for part in error["loc"] if isinstance(part, str))))
        raise InvalidInputError(f"{where}: {plain_message(error)}", field=where) from None


def request_export(
    session: Session, jobs: ExportJobs, data: ExportJobCreate, principal: Principal
) -> ExportJobColumns:
    """Queue an export of `data.resource` for `principal` (flushed, with its event); refused
    as the list itself would refuse the filters."""
    listed = jobs.catalog.get(data.resource)
    if listed is None:
        known = ", ".join(sorted(jobs.catalog))
        raise InvalidInputError(
            f"resource: {data.resource!r} is not exported here (exported: {known})",
            field="resource",
        )
    if data.format not in FILE_FORMATS:
        raise InvalidInputError("format: an export job writes csv or xlsx", field="format")
    filters = checked_filters(listed, data.filters)
    # The list's own refusals of a query (those its statement makes) come now, not later.
    listed.query(session, filters, principal=principal)
    job = jobs.model()
    job.id = uuid.uuid4()
    job.resource = listed.resource
    job.format = data.format
    job.filters = filters.model_dump(mode="json", exclude_unset=True)
    job.requested_by = principal.user_id
    job.requester_roles = sorted(role.value for role in principal.roles)
    job.requester_time_zone = principal.time_zone
    job.status = ExportJobStatus.QUEUED
    job.rows_done = 0
    job.attempts = 0
    session.add(job)
    session.flush()
    jobs.outbox.add(
        session,
        EXPORT_REQUESTED,
        ExportRequested(job_id=job.id, resource=job.resource),
        subject_id=job.id,
    )
    return job


def jobs_of(
    session: Session, jobs: ExportJobs, principal: Principal, page: Any
) -> Page[ExportJobRead]:
    """The caller's jobs, newest first."""
    model = jobs.model
    statement = (
        select(model)
        .where(model.requested_by == principal.user_id)
        .order_by(model.created_at.desc(), model.id)
    )
    rows, total = paginate(session, statement, page)
    return Page[ExportJobRead].of([ExportJobRead.of(job) for job in rows], total, page)


# --- running a job (the worker) -----------------------------------------------------------


class ExportJobBusyError(Exception):
    """The job is claimed by a worker whose lease still holds: the event is retried later
    (when that worker has died, its lease runs out)."""


class LeaseLostError(Exception):
    """Another worker claimed the job (this one's lease ran out): this run stops."""


@dataclass(frozen=True)
class ExportRunner:
    """What a worker runs jobs with: the service's jobs, a way to open sessions, the
    storage and the limits."""

    jobs: ExportJobs
    open_session: Callable[[], Session]
    storage: FileStorage
    limits: ExportJobLimits = ExportJobLimits()

    def run(self, job_id: uuid.UUID) -> ExportJobStatus | None:
        """Run the job if it waits or its worker died: its end state; None when there is
        nothing to run (finished already, unknown). `ExportJobBusyError` while another
        worker's claim holds."""
        worker = uuid.uuid4().hex
        claimed = self._claim(job_id, worker)
        if claimed is None:
            return None
        try:
            rows, size = self._write(claimed, worker)
        except LeaseLostError:
            logger.warning("export %s was claimed by another worker", job_id)
            return None
        except Exception as exc:
            self._fail(job_id, worker, exc)
            return ExportJobStatus.FAILED
        self._finish(job_id, worker, rows, size)
        self.remove_expired()
        return ExportJobStatus.DONE

    def _claim(self, job_id: uuid.UUID, worker: str) -> "_Claimed | None":
        model = self.jobs.model
        with self.open_session() as session:
            job = session.scalars(
                select(model)
                .where(
                    model.id == job_id,
                    or_(
                        model.status == ExportJobStatus.QUEUED,
                        model.status == ExportJobStatus.RUNNING,
                    ),
                )
                .with_for_update(skip_locked=True)
            ).one_or_none()
            if job is None:
                held = session.scalar(
                    select(model.status).where(model.id == job_id, model.status.not_in(FINISHED))
                )
                if held is not None:  # locked by a claim being made right now
                    raise ExportJobBusyError(f"export {job_id} is being claimed")
                return None
            now = session.scalar(select(func.now()))
            assert now is not None
            if (
                job.status is ExportJobStatus.RUNNING
                and job.lease_expires_at is not None
                and job.lease_expires_at > now
            ):
                raise ExportJobBusyError(f"export {job_id} runs in worker {job.claimed_by}")
            listed = self.jobs.catalog.get(job.resource)
            job.status = ExportJobStatus.RUNNING
            job.claimed_by = worker
            job.lease_expires_at = now + self.limits.lease
            job.started_at = now
            job.attempts += 1
            job.rows_done = 0
            claimed = _Claimed(job_id, job.format, dict(job.filters), requester(job), listed)
            resource = job.resource
            session.commit()
        if listed is None:  # a list this release no longer exports
            self._fail(job_id, worker, InvalidInputError(f"the {resource} list is not exported"))
            return None
        return claimed

    def _heartbeat(self, job_id: uuid.UUID, worker: str, **values: Any) -> None:
        """Commit `values` of the job while this worker holds it, renewing the lease."""
        model = self.jobs.model
        with self.open_session() as session:
            changed = session.execute(
                update(model)
                .where(model.id == job_id, model.claimed_by == worker)
                .values(lease_expires_at=func.now() + self.limits.lease, **values)
            )
            session.commit()
        if getattr(changed, "rowcount", 0) != 1:
            raise LeaseLostError(job_id)

    def _write(self, job: "_Claimed", worker: str) -> tuple[int, int]:
        """Write the job's file into the storage: (rows, bytes)."""
        listed, principal = job.listed, job.principal
        assert listed is not None
        filters = checked_filters(listed, job.filters)
        with self.open_session() as session:
            statement = listed.query(session, filters, principal=principal)
            total = session.scalar(select(func.count()).select_from(statement.subquery()))
            names = listed.export.names(session)
        self._heartbeat(job.id, worker, rows_total=total or 0)
        present = listed.present
        records = exports.rows(
            self.open_session,
            statement,
            (lambda record: present(record, principal)) if present is not None else None,
        )
        counted = _Counted(records, self.limits.progress_rows, self._progress(job.id, worker))
        if job.format is ExportFormat.CSV:
            chunks = exports.csv_chunks(listed.export.columns, counted, names, principal.zone)
        else:
            chunks = exports.xlsx_chunks(
                listed.title, listed.export.columns, counted, names, principal.zone
            )
        content = _ChunkReader(chunks)
        self.storage.put(
            self.jobs.key(job.id), io.BufferedReader(content), content_type=MEDIA_TYPES[job.format]
        )
        return counted.done, content.size

    def _progress(self, job_id: uuid.UUID, worker: str) -> Callable[[int], None]:
        def report(done: int) -> None:
            self._heartbeat(job_id, worker, rows_done=done)

        return report

    def _finish(self, job_id: uuid.UUID, worker: str, rows: int, size: int) -> None:
        model = self.jobs.model
        with self.open_session() as session:
            job = session.scalars(
                select(model)
                .where(model.id == job_id, model.claimed_by == worker)
                .with_for_update()
            ).one_or_none()
            if job is None:  # claimed by another worker meanwhile: its run finishes it
                return
            now = session.scalar(select(func.now()))
            assert now is not None
            job.status = ExportJobStatus.DONE
            job.rows_done = job.rows_total = rows
            job.size = size
            job.storage_key = self.jobs.key(job_id)
            job.finished_at = now
            job.expires_at = now + self.limits.retention
            job.claimed_by = job.lease_expires_at = None
            self.jobs.outbox.add(
                session,
                EXPORT_COMPLETED,
                ExportCompleted(
                    job_id=job.id,
                    service=self.jobs.service,
                    resource=job.resource,
                    format=job.format.value,
                    requested_by=job.requested_by,
                    rows=rows,
                    expires_at=job.expires_at,
                ),
                subject_id=job.id,
            )
            session.commit()

    def _fail(self, job_id: uuid.UUID, worker: str, error: Exception) -> None:
        if isinstance(error, AppError):
            message = str(error)
        else:
            logger.exception("export %s failed", job_id, exc_info=error)
            message = UNEXPECTED_FAILURE.format(job_id=job_id)
        model = self.jobs.model
        with self.open_session() as session:
            job = session.scalars(
                select(model)
                .where(model.id == job_id, model.claimed_by == worker)
                .with_for_update()
            ).one_or_none()
            if job is not None:  # else claimed by another worker meanwhile: its run ends it
                job.status = ExportJobStatus.FAILED
                job.error = message
                job.finished_at = session.scalar(select(func.now()))
                job.claimed_by = job.lease_expires_at = None
                self.jobs.outbox.add(
                    session,
                    EXPORT_FAILED,
                    ExportFailed(
                        job_id=job.id,
                        service=self.jobs.service,
                        resource=job.resource,
                        format=job.format.value,
                        requested_by=job.requested_by,
                        error=message,
                    ),
                    subject_id=job.id,
                )
                session.commit()
        self.storage.delete(self.jobs.key(job_id))

    def remove_expired(self) -> int:
        """Delete the files whose time is up (their jobs stay, without a file); how many."""
        model = self.jobs.model
        with self.open_session() as session:
            expired = session.execute(
                select(model.id, model.storage_key)
                .where(and_(model.storage_key.is_not(None), model.expires_at <= func.now()))
                .with_for_update(skip_locked=True)
            ).all()
            session.execute(
                update(model)
                .where(model.id.in_([job_id for job_id, _ in expired]))
                .values(storage_key=None)
            )
            # The rows forget the files first: no download starts on a file being deleted.
            session.commit()
        for _, key in expired:
            if key is not None:
                self.storage.delete(key)
        return len(expired)


@dataclass(frozen=True)
class _Claimed:
    """What a worker's run needs of the job it claimed (read before the claim's commit)."""

    id: uuid.UUID
    format: ExportFormat
    filters: dict[str, Any]
    principal: Principal
    listed: ExportableList | None


class _Counted:
    """The records, counted; every `every` records `report(count)` is called."""

    def __init__(self, records: Iterable[Any], every: int, report: Callable[[int], None]) -> None:
        self.records = records
        self.every = every
        self.report = report
        self.done = 0

    def __iter__(self) -> Iterator[Any]:
        for record in self.records:
            yield record
            self.done += 1
            if self.done % self.every == 0:
                self.report(self.done)


class _ChunkReader(io.RawIOBase):
    """The chunks of a file as a readable file, so that the storage pulls them as it writes
    (the file is never whole in memory); `size` counts the bytes read."""

    def __init__(self, chunks: Iterator[bytes]) -> None:
        self.chunks = chunks
        self.pending = b""
        self.size = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        while not self.pending:
            try:
                self.pending = next(self.chunks)
            except StopIteration:
                return 0
        taken = self.pending[: len(buffer)]
        self.pending = self.pending[len(taken) :]
        buffer[: len(taken)] = taken
        self.size += len(taken)
        return len(taken)


def running_jobs(runner_of: Callable[[Session], ExportRunner], service: str) -> Handler:
    """The handler of the service's own ``export.requested``: the job runs (in sessions of
    its own, outside the event's transaction); a replayed event finds it finished and runs
    nothing. Other services' requests are theirs."""

    def on_export_requested(session: Session, event: Event) -> None:
        if event.producer != service:
            return
        runner_of(session).run(ExportRequested.of(event).job_id)

    return on_export_requested


def runner_in(
    jobs: ExportJobs, storage: FileStorage, limits: ExportJobLimits
) -> Callable[[Session], ExportRunner]:
    """The runner whose sessions are made like the event's (the worker's database)."""

    def runner_of(session: Session) -> ExportRunner:
        bind = session.get_bind()
        return ExportRunner(jobs, lambda: Session(bind), storage, limits)

    return runner_of


# --- who may ------------------------------------------------------------------------------


@dataclass(frozen=True)
class ExportJobRules:
    request: Rule
    read: Rule


def export_job_rules(model: type[ExportJobColumns]) -> ExportJobRules:
    """Anyone signed in may export what they may list; a job and its file are its
    requester's (and admins')."""
    return ExportJobRules(
        request=Rule("export.request", "Export a list in the background", role=Role.STAFF),
        read=Rule.owned(
            "export.read",
            "Read an export job and download its file",
            loader=owned_by(model.requested_by, param="export_id", what="export"),
            owners_are="the job's requester",
            role=Role.ADMIN,
        ),
    )


# --- routes -------------------------------------------------------------------------------


def _job_path(router: APIRouter, job_id: uuid.UUID) -> str:
    return f"{router.prefix}/{job_id}"


class ExportJobRoutes:
    """``/api/v1/<service>-exports``: POST a job (202 with ``Location``), GET the caller's
    jobs; ``/{export_id}`` a job's progress; ``/{export_id}/content`` its file."""

    def __init__(self, jobs: ExportJobs, rules: ExportJobRules) -> None:
        resource = registry.by_name(jobs.service).exports_resource
        if resource is None:
            raise TypeError(f"the registry declares no export jobs of {jobs.service}")
        self.router = collection_router(resource, tag="exports")
        self.jobs = jobs
        self.rules = rules
        self._request()
        self._list()
        self._one()
        self._content()

    def _request(self) -> None:
        jobs, router = self.jobs, self.router

        def handle(data: ExportJobCreate, write: Write) -> ExportJobRead:
            job = request_export(write.session, jobs, data, write.principal)
            write.response.headers["Location"] = _job_path(router, job.id)
            return ExportJobRead.of(write.saved(job, etag=False))

        router.add_api_route(
            "",
            endpoint(
                handle,
                ("data", ExportJobCreate),
                ("write", Annotated[Write, Writes(self.rules.request, if_match=False)]),
            ),
            methods=["POST"],
            name="request_export",
            response_model=ExportJobRead,
            status_code=status.HTTP_202_ACCEPTED,
            description=(
                "Export every record a list's filters select, in the background: 202 with "
                "the job's address in `Location`; 422 naming `resource`, `format` or the "
                "filter the list refuses."
            ),
        )

    def _list(self) -> None:
        jobs = self.jobs

        def handle(session: Session, principal: Principal, page: Any) -> Page[ExportJobRead]:
            return jobs_of(session, jobs, principal, page)

        self.router.add_api_route(
            "",
            endpoint(
                handle,
                ("session", DbSession),
                ("principal", CurrentPrincipal),
                ("page", Pagination),
            ),
            methods=["GET"],
            name="list_my_exports",
            response_model=Page[ExportJobRead],
        )

    def _one(self) -> None:
        jobs = self.jobs

        def handle(session: Session, export_id: uuid.UUID, principal: Principal) -> ExportJobRead:
            return ExportJobRead.of(jobs.find(session, export_id))

        self.router.add_api_route(
            "/{export_id}",
            endpoint(
                handle,
                ("export_id", uuid.UUID),
                ("session", DbSession),
                ("principal", Annotated[Principal, Authorize(self.rules.read)]),
            ),
            methods=["GET"],
            name="get_export",
            response_model=ExportJobRead,
            responses=error_responses(403, 404),
        )

    def _content(self) -> None:
        jobs = self.jobs

        def handle(
            session: Session, export_id: uuid.UUID, request: Request, principal: Principal
        ) -> Response:
            job = jobs.find(session, export_id)
            if job.status is not ExportJobStatus.DONE:
                raise NotFoundError("the file of export", export_id, field="export_id")
            if job.storage_key is None:
                raise NotFoundError("the (expired) file of export", export_id, field="export_id")
            # The service's storage: its attachments' (`attachments.serve_attachments`).
            storage: FileStorage = request.app.state.attachment_files.storage
            try:
                chunks = storage.open(job.storage_key)
            except StoredFileMissingError:
                logger.warning("stored export %s is missing", job.storage_key)
                raise NotFoundError("the stored file of export", export_id) from None
            headers = {
                "Content-Disposition": content_disposition(job.file_name()),
                "X-Content-Type-Options": "nosniff",
                "Cache-Control": "private, no-store",
            }
            if job.size is not None:
                headers["Content-Length"] = str(job.size)
            return StreamingResponse(chunks, media_type=MEDIA_TYPES[job.format], headers=headers)

        self.router.add_api_route(
            "/{export_id}/content",
            endpoint(
                handle,
                ("export_id", uuid.UUID),
                ("session", DbSession),
                ("request", Request),
                ("principal", Annotated[Principal, Authorize(self.rules.read)]),
                returns=Response,
            ),
            methods=["GET"],
            name="download_export",
            response_class=StreamingResponse,
            responses={200: {"content": exports.EXPORT_CONTENT}, **error_responses(403, 404)},
        )
