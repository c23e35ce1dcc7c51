"""Building an event's payload from the record it announces (`EventPayload.of_record`)."""

from __future__ import annotations

import datetime as dt
import enum
import uuid
from types import SimpleNamespace

from obcms_platform.contracts import BookingChanged, PpaApprovalChanged


class _Status(enum.StrEnum):
    APPROVED = "approved"


def _booking() -> SimpleNamespace:
    return SimpleNamespace(
        id=uuid.uuid4(),
        resource_id=uuid.uuid4(),
        start=dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.timezone(dt.timedelta(hours=8))),
        end=dt.datetime(2026, 3, 2, 10, 30, tzinfo=dt.timezone(dt.timedelta(hours=8))),
        status=_Status.APPROVED,
        booked_by=uuid.uuid4(),
        approved_by=uuid.uuid4(),
        notes="not announced",
        decision_note="Room B is free",
        version=3,
    )


def test_of_record_reads_fields_by_name_and_takes_the_values_given() -> None:
    booking = _booking()

    payload = BookingChanged.of_record(
        booking, booking_id=booking.id, decided_by=booking.approved_by, resource_name="Van"
    )

    assert payload.data() == {
        "booking_id": str(booking.id),
        "resource_id": str(booking.resource_id),
        "start": "2026-03-02T09:00:00+08:00",
        "end": "2026-03-02T10:30:00+08:00",
        "status": "approved",
        "booked_by": str(booking.booked_by),
        "version": 3,
        "decided_by": str(booking.approved_by),
        "decision_note": "Room B is free",
        "resource_name": "Van",
    }


def test_of_record_reads_an_aliased_field_by_its_name() -> None:
    move = SimpleNamespace(
        title="Water", from_="draft", to="technical_review", note=None, changed_by=None
    )

    payload = PpaApprovalChanged.of_record(move, changed_on=dt.date(2026, 3, 2))

    assert payload.data()["from"] == "draft"
    assert payload.data()["to"] == "technical_review"
