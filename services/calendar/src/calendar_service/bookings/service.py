"""Booking domain logic. Functions take a session and never commit; the route does.

Overlap: a friendly check first (names the booking in the way), and the database's exclusion
constraint as the guarantee: of concurrent requests for one slot exactly one inserts, the
others wait for it to commit and are refused with the same 409.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Select, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from calendar_service.authz import BOOKING_DECIDE, EVENT_WRITE, event_owner_ids
from calendar_service.bookings.models import OVERLAP_CONSTRAINT, Booking, BookingStatus
from calendar_service.bookings.schemas import BookingCreate, BookingFilters
from calendar_service.calendar_events.models import Event
from calendar_service.db import outbox
from calendar_service.resources.models import Resource
from obcms_platform import records
from obcms_platform.auth import Principal
from obcms_platform.authz import Ownership, ensure
from obcms_platform.contracts import (
    BOOKING_CREATED,
    BOOKING_UPDATED,
    BookingChanged,
    EventContract,
)
from obcms_platform.errors import (
    AppError,
    ConflictError,
    InvalidInputError,
)
from obcms_platform.feed import OFFICE_ZONE
from obcms_platform.formatting import format_moment, format_span
from obcms_platform.history import because
from obcms_platform.pagination import PageParams, paginate

HOLDING_STATUSES = (BookingStatus.PENDING, BookingStatus.APPROVED)


def get_booking(session: Session, booking_id: uuid.UUID) -> Booking:
    return records.get_or_404(session, Booking, booking_id, what="booking")


def list_bookings(
    session: Session, filters: BookingFilters, page: PageParams, principal: Principal
) -> tuple[list[Booking], int]:
    conditions = records.field_conditions(Booking, filters, "resource_id", "status", "event_id")
    if filters.mine:
        conditions.append(Booking.booked_by == principal.user_id)
    elif filters.booked_by is not None:
        conditions.append(Booking.booked_by == filters.booked_by)
    if filters.starts_after is not None:
        conditions.append(Booking.start >= _aware(filters.starts_after))
    if filters.starts_before is not None:
        conditions.append(Booking.start < _aware(filters.starts_before))
    if filters.ends_after is not None:
        conditions.append(Booking.end > _aware(filters.ends_after))
    statement: Select[Any] = select(Booking).where(*conditions).order_by(Booking.start, Booking.id)
    return paginate(session, statement, page)


def create_booking(
    session: Session, data: BookingCreate, principal: Principal, now: datetime | None = None
) -> Booking:
    """Book a resource from a start to come (`now`: the moment it is booked, the clock's
    unless a load of past records gives its own)."""
    start, end = _aware(data.start), _aware(data.end)
    if end <= start:
        raise InvalidInputError("end: must be after start", field="end")
    _refuse_past(start, now or datetime.now(UTC), zone=principal.zone)
    resource = session.get(Resource, data.resource_id)
    if resource is None:
        raise InvalidInputError(f"resource_id: no resource {data.resource_id}", field="resource_id")
    if not resource.is_available:
        raise ConflictError(
            f"resource_id: {resource.name} is not available for booking", field="resource_id"
        )
    if data.event_id is not None:
        event = session.get(Event, data.event_id)
        if event is None:
            raise InvalidInputError(f"event_id: no event {data.event_id}", field="event_id")
        # Booking for an event is arranging it: its owners' (or a manager's) act.
        ensure(
            principal,
            EVENT_WRITE,
            Ownership.of(*event_owner_ids(event.organizer_id, event.created_by)),
        )
    _refuse_overlap(session, resource, start, end, zone=principal.zone)
    approved = not resource.booking_requires_approval
    booking = Booking(
        id=uuid.uuid4(),
        resource_id=resource.id,
        start=start,
        end=end,
        status=BookingStatus.APPROVED if approved else BookingStatus.PENDING,
        booked_by=principal.user_id,
        # Approved at once by the rule "no approval needed", not by a person.
        approved_by=None,
        notes=data.notes,
        event_id=data.event_id,
    )
    try:
        with session.begin_nested():
            records.insert_row(session, booking)
    except IntegrityError as exc:
        if _constraint(exc) != OVERLAP_CONSTRAINT:
            raise
        # A concurrent request took the slot between our check and our insert.
        _refuse_overlap(session, resource, start, end, zone=principal.zone)
        raise ConflictError(
            f"start: {resource.name} is already booked at that time", field="start"
        ) from exc
    announce(session, BOOKING_CREATED, booking)
    return booking


def decide(
    session: Session,
    booking_id: uuid.UUID,
    to: BookingStatus,
    principal: Principal,
    notes: str | None = None,
) -> Booking:
    """Approve, reject or cancel (who may: authz.BOOKING_DECIDE and BOOKING_CANCEL); a
    rejection says why (`notes`, 422 without: the booker is told it), as leave's does."""
    booking = records.locked(session, Booking, booking_id, what="booking")
    allowed_from: tuple[BookingStatus, ...] = (
        HOLDING_STATUSES if to is BookingStatus.CANCELLED else (BookingStatus.PENDING,)
    )
    verb = {
        BookingStatus.APPROVED: "approve",
        BookingStatus.REJECTED: "reject",
        BookingStatus.CANCELLED: "cancel",
    }[to]
    # A booking decided already is refused as such (409) before its missing reason is.
    records.ensure_status(booking.status, allowed_from, refused=f"{verb} a booking")
    if to is BookingStatus.REJECTED and not (notes or "").strip():
        raise InvalidInputError(
            "notes: give the reason for rejecting it, the booker reads it", field="notes"
        )
    records.decide(
        booking,
        to,
        allowed_from,
        refused=f"{verb} a booking",
        # A cancellation is the booker's withdrawal, not a decision: who approved it stays.
        by=None if to is BookingStatus.CANCELLED else principal,
        note=notes,
    )
    session.flush()
    announce(session, BOOKING_UPDATED, booking)
    return booking


def release_for_event(session: Session, event_id: uuid.UUID, note: str) -> int:
    """Cancel the bookings still holding a resource for the event `event_id` (it is being
    deleted: a van kept for a trip that no longer exists stays blocked); how many."""
    bookings = session.scalars(
        select(Booking)
        .where(Booking.event_id == event_id, Booking.status.in_(HOLDING_STATUSES))
        .with_for_update()
    ).all()
    for booking in bookings:
        records.decide(
            booking,
            BookingStatus.CANCELLED,
            HOLDING_STATUSES,
            refused="cancel a booking",
            by=None,
            note=note,
        )
    session.flush()
    for booking in bookings:
        announce(session, BOOKING_UPDATED, booking)
    return len(bookings)


def announce(session: Session, contract: EventContract[BookingChanged], booking: Booking) -> None:
    outbox.add(
        session,
        contract,
        BookingChanged.of_record(
            booking,
            booking_id=booking.id,
            decided_by=booking.approved_by,
            resource_name=session.scalar(
                select(Resource.name).where(Resource.id == booking.resource_id)
            ),
        ),
        subject_id=booking.id,
        version=booking.version,
    )


def follow_event(
    session: Session,
    event: Event,
    start_shift: timedelta,
    end_shift: timedelta,
    principal: Principal,
) -> None:
    """Move the bookings still holding a resource for `event` with it: their start by the
    event's `start_shift`, their end by its `end_shift` (a van kept from 07:00 for a 09:00
    trip keeps its two hours before). A resource taken at the new time refuses the event's
    move, in words: its owner releases the booking or picks another time. A booking that
    needed a manager's approval needs it again, for its new time, unless the mover may give
    it.

    A booking is for a time to come: one over stays as it was (the record of the resource's
    use); one under way keeps its start (that time is used) and its end follows the event's,
    though not into the past (the time until now is used too); one to come that would start
    in the past refuses the event's move (422 naming `start`), like a taken resource."""
    if not start_shift and not end_shift:
        return
    now = datetime.now(UTC)
    moved = [
        booking
        for booking in _holding_to_come(session, event, now)
        if _move_with(session, booking, event, start_shift, end_shift, principal, now, "event")
    ]
    for booking in moved:
        announce(session, BOOKING_UPDATED, booking)


@dataclass(frozen=True)
class FollowedBooking:
    """A booking of a moved occurrence: moved with it, or kept where it was and why."""

    booking: Booking
    resource_name: str
    moved: bool
    kept_because: str | None = None  # why it could not move (words), when it could not


def follow_occurrence(
    session: Session,
    event: Event,
    before: tuple[datetime, datetime],
    after: tuple[datetime, datetime],
    principal: Principal,
) -> list[FollowedBooking]:
    """Move the bookings of one occurrence of the series `event`, moved from `before` to
    `after`, with it: those of the event holding a resource on the occurrence's days (a
    series' bookings are each for one of its days: the one the new-event form made is for
    the first). Each moves as `follow_event` moves a single event's; but a resource taken at
    the new time, or a start that would have passed, does not refuse the occurrence's move:
    that booking stays where it was, and the answer says why (`kept_because`, in words)."""
    zone = ZoneInfo(event.timezone)
    first = before[0].astimezone(zone).date()
    last = (before[1] - timedelta(microseconds=1)).astimezone(zone).date()
    days = (
        datetime.combine(first, time.min, zone),
        datetime.combine(last + timedelta(days=1), time.min, zone),
    )
    start_shift, end_shift = after[0] - before[0], after[1] - before[1]
    now = datetime.now(UTC)
    followed = []
    for booking in _holding_to_come(session, event, now, during=days):
        resource_name = session.get_one(Resource, booking.resource_id).name
        try:
            moved = _move_with(
                session, booking, event, start_shift, end_shift, principal, now, "occurrence"
            )
        except (ConflictError, InvalidInputError) as refused:
            session.refresh(booking)
            followed.append(FollowedBooking(booking, resource_name, False, _reason(refused)))
            continue
        if moved:
            announce(session, BOOKING_UPDATED, booking)
        followed.append(FollowedBooking(booking, resource_name, moved))
    return followed


def _reason(refused: AppError) -> str:
    """A refusal's words alone: "Room C is already booked …" after the lead that says which
    booking could not move ("The Room C booked for this occurrence cannot move with it:")."""
    return refused.problems()[0].message.split(" cannot move with it: ", 1)[-1]


def _holding_to_come(
    session: Session,
    event: Event,
    now: datetime,
    during: tuple[datetime, datetime] | None = None,
) -> list[Booking]:
    """The event's bookings holding a resource and not over, locked (`during`: only those
    overlapping it), the earliest first."""
    conditions = [
        Booking.event_id == event.id,
        Booking.status.in_(HOLDING_STATUSES),
        Booking.end > now,
    ]
    if during is not None:
        conditions += [Booking.start < during[1], Booking.end > during[0]]
    return list(
        session.scalars(
            select(Booking).where(*conditions).order_by(Booking.start).with_for_update()
        )
    )


def _move_with(
    session: Session,
    booking: Booking,
    event: Event,
    start_shift: timedelta,
    end_shift: timedelta,
    principal: Principal,
    now: datetime,
    what: str,
) -> bool:
    """Move `booking` with its event (`what`: "event" or "occurrence") as `follow_event`
    says; whether it changed. Refused (409, 422 naming `start`) when it cannot."""
    resource = session.get_one(Resource, booking.resource_id)
    lead = f"The {resource.name} booked for this {what} cannot move with it:"
    if booking.start < now:  # under way
        start, end = booking.start, max(booking.end + end_shift, now)
    else:
        start, end = booking.start + start_shift, booking.end + end_shift
        if end <= start:  # the event shrank past it: it keeps its length
            end = start + (booking.end - booking.start)
        _refuse_past(start, now, zone=principal.zone, lead=lead)
    if (start, end) == (booking.start, booking.end):
        return False  # under way, its end unchanged: nothing to ask again
    _refuse_overlap(
        session, resource, start, end, moving=booking, lead=f"{lead} it is", zone=principal.zone
    )
    booking.start, booking.end = start, end
    if (
        resource.booking_requires_approval
        and booking.status is BookingStatus.APPROVED
        and not BOOKING_DECIDE.allows(
            principal, Ownership.of(booking.booked_by, requester=booking.booked_by)
        )
    ):
        booking.status, booking.approved_by, booking.decision_note = (
            BookingStatus.PENDING,
            None,
            None,
        )
    try:
        # The cause first: beginning the savepoint flushes the change already.
        with because(session, f"moved with the {what} “{event.title}”"), session.begin_nested():
            session.flush()
    except IntegrityError as exc:
        if _constraint(exc) != OVERLAP_CONSTRAINT:
            raise
        raise ConflictError(
            f"start: {lead} it is already booked at the new time", field="start"
        ) from exc
    return True


def _constraint(exc: IntegrityError) -> str | None:
    return getattr(getattr(exc.orig, "diag", None), "constraint_name", None)


def _refuse_past(
    start: datetime, now: datetime, *, zone: ZoneInfo, lead: str | None = None
) -> None:
    """A 422 naming `start` when it is before `now`, said in `zone` (the asker's) after `lead`
    ("The Van booked for this event cannot move with it:")."""
    if start < now:
        said = f"{format_moment(start, zone)} has passed; a booking is for a time to come"
        raise InvalidInputError(f"start: {f'{lead} {said}' if lead else said}", field="start")


def _refuse_overlap(
    session: Session,
    resource: Resource,
    start: datetime,
    end: datetime,
    *,
    moving: Booking | None = None,
    lead: str | None = None,
    zone: ZoneInfo = OFFICE_ZONE,
) -> None:
    """A 409 naming the booking in the way of `resource` from `start` to `end` (but
    `moving`, the booking being moved there), after `lead` ("Van is"), its time in `zone`
    (the asker's)."""
    conditions = [
        Booking.resource_id == resource.id,
        Booking.status.in_(HOLDING_STATUSES),
        Booking.start < end,
        Booking.end > start,
    ]
    if moving is not None:
        conditions.append(Booking.id != moving.id)
    other = session.scalar(select(Booking).where(*conditions).order_by(Booking.start).limit(1))
    if other is not None:
        raise ConflictError(
            f"start: {lead or f'{resource.name} is'} already booked "
            f"{format_span(other.start, other.end, zone=zone)} (that booking is "
            f"{other.status.value}, "
            f"id {other.id})",
            field="start",
        )


def _aware(moment: datetime) -> datetime:
    """The moment in UTC; a naive one is an office time."""
    return (moment if moment.tzinfo else moment.replace(tzinfo=OFFICE_ZONE)).astimezone(UTC)
