"""The benchmark dataset, written through the services' own code paths, in bulk.

Records are created in-process by the services' service-layer functions (`create_ppa`,
`create_event`, `create_task` ...) with a session per batch, exactly what the routes call, so
each record gets its outbox row like one made over HTTP. The outbox is then delivered
in-process: every unpublished event is handed to the real handlers of every consumer the
bus topology subscribes to it (`tasks_service.events.HANDLERS` generates the template tasks,
`portfolio_service.events.HANDLERS` keeps the task projection and PPA progress), with the
consumer's inbox row, and marked published. This is what the relay and the workers do, minus
Redis and one transaction per event: handling a few hundred events per transaction is what
makes x100 (about 320,000 tasks) load in minutes instead of hours. The gateway's consumer only
gets its inbox rows (its handler just invalidates the feed cache, which the bench starts empty).

The records belong to an office: the admin and `STAFF` people with names, addresses and the
office's time zone, made by the gateway's own `create_user` and `update_profile` (so each is
announced to the notifications service as over HTTP). One record in five of each kind is the
admin's (the bench user's "my tasks"); the others go round the staff.
"""

from __future__ import annotations

import importlib
import secrets
import uuid
from collections.abc import Callable, Iterable, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from functools import cache, partial
from itertools import groupby
from operator import itemgetter
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import String, cast, func, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session
from tqdm import tqdm

from calendar_service.bookings.models import Booking
from calendar_service.bookings.schemas import BookingCreate
from calendar_service.bookings.service import create_booking
from calendar_service.calendar_events.models import Event as CalendarEvent
from calendar_service.calendar_events.models import EventType
from calendar_service.calendar_events.recurrence import Frequency
from calendar_service.calendar_events.schemas import EventCreate, RecurrenceIn
from calendar_service.calendar_events.service import create_event
from calendar_service.leaves.models import LeaveType, StaffLeave
from calendar_service.leaves.schemas import LeaveCreate
from calendar_service.leaves.service import create_leave
from calendar_service.resources.models import ResourceType
from calendar_service.resources.schemas import ResourceCreate
from calendar_service.resources.service import create_resource
from notifications_service.events import handlers as notification_handlers
from notifications_service.settings import NotificationsSettings
from obcms_bench.scales import STAFF, Scale
from obcms_platform import registry
from obcms_platform.auth import Principal, Role
from obcms_platform.bus import Event
from obcms_platform.bus.consumer import Handler
from obcms_platform.bus.tables import BusTables
from obcms_platform.bus.topology import subscribes
from obcms_platform.db import Database
from obcms_platform.psgc import gazetteer
from obcms_platform.vocabulary import AreaLevel, PpaTag
from portfolio_service.assessments.models import Assessment, AssessmentLevel, Methodology
from portfolio_service.assessments.schemas import AssessmentCreate
from portfolio_service.assessments.service import create_assessment
from portfolio_service.events import HANDLERS as PORTFOLIO_HANDLERS
from portfolio_service.ppas.models import Ppa, PpaCategory, PpaStatus, Sector
from portfolio_service.ppas.schemas import PpaCreate
from portfolio_service.ppas.service import create_ppa
from portfolio_service.progress.models import PpaTaskProjection
from tasks_service.events import HANDLERS as TASKS_HANDLERS
from tasks_service.tasks.models import Task, TaskDomain, TaskPriority, TaskStatus
from tasks_service.tasks.schemas import TaskCreate
from tasks_service.tasks.service import create_task

OFFICE = ZoneInfo("Asia/Manila")
BATCH = 500  # records or events per transaction
LOADERS = 4  # transactions at once
ADMIN_USERNAME = "admin"


@dataclass
class ServiceDatabase:
    name: str
    database: Database
    bus: BusTables


@dataclass
class DatasetSummary:
    scale: str
    counts: dict[str, int]
    seconds: dict[str, float] = field(default_factory=dict)
    admin_id: str = ""


def open_databases(urls: Mapping[str, str]) -> dict[str, ServiceDatabase]:
    """The databases of the registry's deployables (keys their names), with every model
    loaded."""
    result = {}
    for deployable in registry.DEPLOYABLES:
        module = importlib.import_module(f"{deployable.package}.db")
        module.load_models()
        database = Database(
            urls[deployable.name],
            pool_size=LOADERS,
            statement_timeout_ms=0,
            application_name="bench-load",
        )
        result[deployable.name] = ServiceDatabase(deployable.name, database, module.bus)
    return result


def ensure_admin(gateway: ServiceDatabase, password: str) -> uuid.UUID:
    """The gateway's `admin` (created as the gateway's start-up bootstrap would)."""
    from gateway_service.users.models import User
    from gateway_service.users.service import ensure_user

    with gateway.database.session() as session:
        ensure_user(session, ADMIN_USERNAME, password, Role.ADMIN)
        session.commit()
        admin_id = session.scalar(select(User.id).where(User.username == ADMIN_USERNAME))
    assert admin_id is not None
    return admin_id


GIVEN_NAMES = ("Maria", "Jose", "Aisah", "Datu", "Norhana", "Ramon", "Bai", "Omar", "Liza", "Amir")
SURNAMES = ("Santos", "Ampatuan", "Reyes", "Mangudadatu", "Dimaporo", "Cruz")


def hire_staff(gateway: ServiceDatabase) -> tuple[uuid.UUID, ...]:
    """The office's `STAFF` people, each created and then given the office's time zone as
    the gateway does it (two `user.changed` announcements); nobody logs in as them, so each
    gets a random password."""
    from gateway_service.settings import GatewaySettings
    from gateway_service.users.schemas import ProfileUpdate, UserCreate
    from gateway_service.users.service import create_user, update_profile

    min_length = GatewaySettings.model_fields["min_password_length"].default
    staff = []
    with gateway.database.session() as session:
        for number in range(STAFF):
            given = GIVEN_NAMES[number % len(GIVEN_NAMES)]
            surname = SURNAMES[number // len(GIVEN_NAMES) % len(SURNAMES)]
            # Past the names' combinations, a number keeps the usernames apart.
            lap = number // (len(GIVEN_NAMES) * len(SURNAMES)) or ""
            username = f"{given}.{surname}{lap}".lower()
            user = create_user(
                session,
                UserCreate(
                    username=username,
                    password=secrets.token_urlsafe(18),
                    full_name=f"{given} {surname}",
                    email=f"{username}@oobc.example",
                ),
                min_password_length=min_length,
            )
            update_profile(
                session, user.id, ProfileUpdate(time_zone=OFFICE.key), expected_version=None
            )
            staff.append(user.id)
        session.commit()
    return tuple(staff)


@dataclass(frozen=True)
class Office:
    admin_id: uuid.UUID
    staff_ids: tuple[uuid.UUID, ...]

    def owner(self, index: int) -> uuid.UUID:
        """Who record `index` of a kind belongs to: one in five the admin's (the bench user's
        "my tasks"), the others round the staff in turn."""
        if index % 5 == 0:
            return self.admin_id
        # The rank of `index` among the records that are not the admin's.
        return self.staff_ids[(index - index // 5 - 1) % len(self.staff_ids)]

    def principal(self, user_id: uuid.UUID) -> Principal:
        return Principal(
            user_id=user_id,
            roles=frozenset({Role.ADMIN if user_id == self.admin_id else Role.STAFF}),
        )


# --- the records -------------------------------------------------------------------------


@dataclass(frozen=True)
class History:
    """The years a scale's records span: `years` whole years ending with the reference year.

    Scaled data is an organisation's accumulated history, not a denser calendar: every year
    holds the reference volume, so a window of the reference year (the measured month and
    year) holds about the same records at every scale while the tables grow with the scale.
    """

    reference_year: int
    years: int

    @property
    def first_day(self) -> date:
        return date(self.reference_year - self.years + 1, 1, 1)

    @property
    def days(self) -> int:
        return (date(self.reference_year + 1, 1, 1) - self.first_day).days

    def day(self, index: int, count: int) -> date:
        """Record `index` of `count`, spread evenly over the history."""
        return self.first_day + timedelta(days=(index * self.days) // max(count, 1))


# The PPA record's coverage: the barangays of the regions OOBC serves most, one or two per PPA
# spread over all of them; the filtered dashboard of the benchmark is one of their provinces.
COVERED_REGIONS = ("1900000000", "1200000000")  # BARMM, Region XII (SOCCSKSARGEN)
BENCH_PROVINCE = "1908800000"  # Maguindanao del Sur


@cache
def _covered_barangays() -> tuple[str, ...]:
    return tuple(
        area.code
        for region in COVERED_REGIONS
        for area in gazetteer().search(within=region, levels=(AreaLevel.BARANGAY,), limit=100_000)
    )


def _record(index: int) -> dict[str, Any]:
    """The PPA record's fields of PPA `index`: coverage, beneficiaries, tags and goals."""
    barangays = _covered_barangays()
    coverage = [barangays[(index * 7919) % len(barangays)]]
    if index % 3 == 0:
        coverage.append(barangays[(index * 104_729) % len(barangays)])
    tags = [tag for tag, every in zip(PpaTag, (2, 3, 5, 4), strict=True) if index % every == 0]
    return {
        "coverage": coverage,
        "communities": f"Community {index % 97 + 1}",
        "implementing_partner": f"Partner {index % 40 + 1}",
        "beneficiaries_targeted": 100 + index % 900,
        "beneficiaries_reached": index % 100,
        "tags": tags,
        "sdgs": [index % 17 + 1, (index * 7) % 17 + 1],
    }


def _ppa(index: int, count: int, history: History, office: Office) -> PpaCreate:
    start = history.day(index, count)
    return PpaCreate(
        **_record(index),
        title=f"PPA {index + 1}: community programme",
        category=(PpaCategory.OOBC_PPA, PpaCategory.MOA_PPA)[index % 2],
        status=(PpaStatus.PLANNING, PpaStatus.ONGOING)[index % 2],
        sector=list(Sector)[index % len(Sector)],
        fiscal_year=start.year,
        start_date=start,
        target_end_date=start + timedelta(days=180),
        budget_allocation=Decimal(100_000 + (index % 50) * 10_000),
        # Its lead gets its generated tasks.
        lead_id=office.owner(index),
    )


# Event types in the mix: a third get a template (meeting 8, workshop 12, conference 15 tasks).
EVENT_TYPES = (
    EventType.MEETING,
    EventType.CONSULTATION,
    EventType.MEETING,
    EventType.FIELD_VISIT,
    EventType.WORKSHOP,
    EventType.COURTESY_CALL,
    EventType.CONFERENCE,
    EventType.SEMINAR,
    EventType.MEETING,
    EventType.FORUM,
)


def _event(index: int, count: int, history: History, office: Office) -> EventCreate:
    day = history.day(index, count)
    start = datetime.combine(day, time(9 + index % 6), OFFICE)
    recurring = index % 20 == 0  # one in twenty repeats weekly, eight times
    return EventCreate(
        title=f"Event {index + 1}",
        event_type=EVENT_TYPES[index % len(EVENT_TYPES)],
        start=start,
        end=start + timedelta(hours=2),
        venue="OOBC office",
        recurrence=RecurrenceIn(freq=Frequency.WEEKLY, count=8) if recurring else None,
        # Its organiser gets its generated tasks.
        organizer_id=office.owner(index),
    )


# Templates of 10, 15, 20, 26 and 6 tasks (kii has none of its own: the basic one).
METHODOLOGIES = (
    Methodology.DESK_REVIEW,
    Methodology.SURVEY,
    Methodology.PARTICIPATORY,
    Methodology.MIXED,
    Methodology.KII,
)
LEVELS = list(AssessmentLevel)


def _assessment(index: int, count: int, history: History) -> AssessmentCreate:
    start = history.day(index, count)
    return AssessmentCreate(
        title=f"MANA assessment {index + 1}",
        primary_methodology=METHODOLOGIES[index % len(METHODOLOGIES)],
        assessment_level=LEVELS[index % len(LEVELS)],
        planned_start_date=start,
        planned_end_date=start + timedelta(days=30),
    )


TASK_STATUSES = (
    TaskStatus.NOT_STARTED,
    TaskStatus.IN_PROGRESS,
    TaskStatus.NOT_STARTED,
    TaskStatus.COMPLETED,
    TaskStatus.AT_RISK,
)
TASK_DOMAINS = list(TaskDomain)
TASK_PRIORITIES = list(TaskPriority)


def _task(index: int, count: int, history: History, office: Office) -> TaskCreate:
    return TaskCreate(
        title=f"Task {index + 1}",
        domain=TASK_DOMAINS[index % len(TASK_DOMAINS)],
        status=TASK_STATUSES[index % len(TASK_STATUSES)],
        priority=TASK_PRIORITIES[index % len(TASK_PRIORITIES)],
        due_date=history.day(index, count),
        assignee_ids=[office.owner(index)],
    )


def _leave(index: int, count: int, history: History, office: Office) -> LeaveCreate:
    start = history.day(index, count)
    return LeaveCreate(
        user_id=office.staff_ids[index % len(office.staff_ids)],
        leave_type=(LeaveType.VACATION, LeaveType.SICK, LeaveType.OFFICIAL)[index % 3],
        start_date=start,
        end_date=start + timedelta(days=2),
    )


RESOURCES = 5
SLOTS_PER_DAY = 4


def _booking(
    index: int, count: int, resource_ids: list[uuid.UUID], history: History
) -> BookingCreate:
    # Never overlapping: spread over the days, and two on one day (more bookings than days)
    # take another resource or two-hour slot.
    day = history.day(index, count)
    hour = 8 + 2 * ((index // len(resource_ids)) % SLOTS_PER_DAY)
    start = datetime.combine(day, time(hour), OFFICE)
    return BookingCreate(
        resource_id=resource_ids[index % len(resource_ids)],
        start=start,
        end=start + timedelta(hours=2),
    )


# A booking is made ahead of its start: the history's (mostly past now) were made this long
# before theirs, which is the moment `create_booking` checks their start against.
BOOKED_AHEAD = timedelta(days=7)


def _book_ahead(session: Session, data: BookingCreate, by: Principal) -> Booking:
    return create_booking(session, data, by, now=data.start - BOOKED_AHEAD)


def _batches(count: int) -> Iterator[range]:
    for first in range(0, count, BATCH):
        yield range(first, min(first + BATCH, count))


def _in_parallel(jobs: Iterable[Callable[[], int]], bar: tqdm) -> None:
    """Run `jobs` (each returns how much it did) on `LOADERS` connections at once.

    The load waits on PostgreSQL round trips far more than on Python; a few connections
    overlap those waits.
    """
    pool = ThreadPoolExecutor(max_workers=LOADERS)
    try:
        for done in as_completed([pool.submit(job) for job in jobs]):
            bar.update(done.result())
    finally:
        # On an error or Ctrl-C: finish the running batches only.
        pool.shutdown(wait=True, cancel_futures=True)


def _create(
    target: ServiceDatabase, count: int, write: Callable[[Session, int], object], bar: tqdm
) -> None:
    def job(batch: range) -> int:
        with target.database.session() as session:
            for index in batch:
                write(session, index)
            session.commit()
        return len(batch)

    _in_parallel([partial(job, batch) for batch in _batches(count)], bar)


def create_records(
    databases: Mapping[str, ServiceDatabase],
    scale: Scale,
    history: History,
    office: Office,
) -> None:
    admin = office.principal(office.admin_id)
    portfolio, calendar, tasks = databases["portfolio"], databases["calendar"], databases["tasks"]
    counts = {what: scale.count(what) for what in ("ppas", "events", "assessments")}
    counts |= {what: scale.count(what) for what in ("manual_tasks", "leave_requests", "bookings")}
    with calendar.database.session() as session:
        resource_ids = [
            create_resource(
                session, ResourceCreate(name=f"Room {number + 1}", resource_type=ResourceType.ROOM)
            ).id
            for number in range(RESOURCES)
        ]
        session.commit()
    with tqdm(total=sum(counts.values()), desc=f"{scale.name}: records", unit="rec") as bar:
        _create(
            portfolio,
            counts["ppas"],
            lambda s, i: create_ppa(s, _ppa(i, counts["ppas"], history, office), admin),
            bar,
        )
        _create(
            portfolio,
            counts["assessments"],
            # An assessment names no lead: its creator gets its generated tasks.
            lambda s, i: create_assessment(
                s, _assessment(i, counts["assessments"], history), office.principal(office.owner(i))
            ),
            bar,
        )
        _create(
            calendar,
            counts["events"],
            lambda s, i: create_event(s, _event(i, counts["events"], history, office), admin),
            bar,
        )
        _create(
            calendar,
            counts["leave_requests"],
            lambda s, i: create_leave(
                s, _leave(i, counts["leave_requests"], history, office), admin
            ),
            bar,
        )
        _create(
            calendar,
            counts["bookings"],
            lambda s, i: _book_ahead(
                s, _booking(i, counts["bookings"], resource_ids, history), admin
            ),
            bar,
        )
        _create(
            tasks,
            counts["manual_tasks"],
            lambda s, i: create_task(s, _task(i, counts["manual_tasks"], history, office), admin),
            bar,
        )


# --- delivering the outbox ---------------------------------------------------------------


def consumer_handlers() -> dict[str, Mapping[str, Handler]]:
    return {
        "tasks": TASKS_HANDLERS,
        "portfolio": PORTFOLIO_HANDLERS,
        # Its handlers read only the defaults of its settings (links, the office's zone).
        "notifications": notification_handlers(NotificationsSettings()),
        "gateway": {},
    }


def _consume(
    consumer: ServiceDatabase, handlers: Mapping[str, Handler], events: list[Event]
) -> None:
    """One transaction: the inbox rows, then each newly claimed event's handler."""
    wanted = [event for event in events if subscribes(consumer.name, event.type)]
    if not wanted:
        return
    inbox = consumer.bus.inbox
    with consumer.database.session() as session:
        claimed = set(
            session.scalars(
                insert(inbox)
                .values(
                    [
                        {"consumer": consumer.name, "event_id": event.id, "event_type": event.type}
                        for event in wanted
                    ]
                )
                .on_conflict_do_nothing()
                .returning(inbox.c.event_id)
            )
        )
        for event in wanted:
            handler = handlers.get(event.type)
            if event.id in claimed and handler is not None:
                handler(session, event)
        session.commit()


def chunk_by_record(keyed_ids: Iterable[tuple[uuid.UUID, str]]) -> list[list[uuid.UUID]]:
    """`BATCH`-sized chunks of event ids (each with the record its handlers lock, in that
    order), never splitting one record's events: concurrent chunks then lock nothing in
    common, so they can neither deadlock nor wait on each other."""
    chunks: list[list[uuid.UUID]] = []
    for _, events in groupby(keyed_ids, key=itemgetter(1)):
        if not chunks or len(chunks[-1]) >= BATCH:
            chunks.append([])
        chunks[-1].extend(event_id for event_id, _ in events)
    return chunks


def deliver(source: ServiceDatabase, databases: Mapping[str, ServiceDatabase], desc: str) -> int:
    """Deliver `source`'s unpublished outbox to its consumers; returns how many events."""
    handlers = consumer_handlers()
    outbox = source.bus.outbox
    data = outbox.c.payload["data"]
    # What the consumers lock for an event: a generated task's subject (the portfolio's PPA
    # progress, the notifications' summary per person and subject), else its own record.
    locked = func.coalesce(
        data["related_ppa_id"].astext,
        data["related_assessment_id"].astext,
        data["related_event_id"].astext,
        outbox.c.payload["subject_id"].astext,
        cast(outbox.c.id, String),
    )
    with source.database.session() as session:
        keyed_ids = session.execute(
            select(outbox.c.id, locked)
            .where(outbox.c.published_at.is_(None))
            .order_by(locked, outbox.c.created_at, outbox.c.id)
        ).all()
        chunks = chunk_by_record(keyed_ids)

    def job(chunk: list[uuid.UUID]) -> int:
        with source.database.session() as session:
            rows = session.execute(
                select(outbox.c.id, outbox.c.payload).where(outbox.c.id.in_(chunk))
            )
            payloads = {row.id: row.payload for row in rows}
        events = [Event.model_validate(payloads[event_id]) for event_id in chunk]
        for name, handlers_of_consumer in handlers.items():
            _consume(databases[name], handlers_of_consumer, events)
        with source.database.session() as session:
            session.execute(
                update(outbox).where(outbox.c.id.in_(chunk)).values(published_at=datetime.now(UTC))
            )
            session.commit()
        return len(chunk)

    total = sum(map(len, chunks))
    with tqdm(total=total, desc=desc, unit="ev") as bar:
        _in_parallel([partial(job, chunk) for chunk in chunks], bar)
    return total


# --- the whole load ----------------------------------------------------------------------


def count_records(databases: Mapping[str, ServiceDatabase]) -> dict[str, int]:

    def count(target: str, statement: object) -> int:
        with databases[target].database.session() as session:
            return int(session.scalar(statement) or 0)  # type: ignore[call-overload]

    return {
        "ppas": count("portfolio", select(func.count()).select_from(Ppa)),
        "assessments": count("portfolio", select(func.count()).select_from(Assessment)),
        "events": count("calendar", select(func.count()).select_from(CalendarEvent)),
        "leave_requests": count("calendar", select(func.count()).select_from(StaffLeave)),
        "bookings": count("calendar", select(func.count()).select_from(Booking)),
        "tasks": count("tasks", select(func.count()).select_from(Task)),
        "generated_tasks": count(
            "tasks", select(func.count()).select_from(Task).where(Task.auto_generated.is_(True))
        ),
        "projected_tasks": count("portfolio", select(func.count()).select_from(PpaTaskProjection)),
    }


def load(urls: Mapping[str, str], scale: Scale, year: int, admin_password: str) -> DatasetSummary:
    """Create the dataset of `scale` in the (migrated, empty) databases at `urls`: `scale.years`
    years of history ending with `year`, the reference year the bench measures."""
    import time as clock

    databases = open_databases(urls)
    seconds: dict[str, float] = {}
    try:
        started = clock.perf_counter()
        admin_id = ensure_admin(databases["gateway"], admin_password)
        office = Office(admin_id, hire_staff(databases["gateway"]))
        create_records(databases, scale, History(year, scale.years), office)
        seconds["records"] = clock.perf_counter() - started
        started = clock.perf_counter()
        # People first (the gateway's accounts), subjects next (their events generate
        # tasks), then every task event.
        for source in ("gateway", "portfolio", "calendar", "tasks"):
            deliver(databases[source], databases, f"{scale.name}: {source} events")
        seconds["events"] = clock.perf_counter() - started
        counts = count_records(databases)
    finally:
        for target in databases.values():
            target.database.dispose()
    return DatasetSummary(scale.name, counts, seconds, str(admin_id))
