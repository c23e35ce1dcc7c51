"""The event envelope: what goes on the wire comes back equal; malformed ones are refused."""

from __future__ import annotations

import json
import uuid

import pytest
from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider
from pydantic import ValidationError

from obcms_platform.bus import Event
from obcms_platform.bus.worker import retry_delay


def test_envelope_validation() -> None:
    event = Event.new("ppa.created", producer="portfolio", subject_id=uuid.uuid4(), data={})
    assert Event.model_validate(json.loads(event.model_dump_json())) == event
    for bad in (
        {"type": "PPA created", "producer": "portfolio"},
        {"type": "ppa.created", "producer": "portfolio", "version": 0},
        {"type": "ppa.created"},
        {"type": "ppa.created", "producer": "portfolio", "id": "not-a-uuid"},
    ):
        with pytest.raises(ValidationError):
            Event.model_validate(bad)


def test_round_trip_keeps_every_field() -> None:
    subject = uuid.uuid4()
    event = Event.new(
        "assessment.deleted",
        producer="portfolio",
        subject_id=subject,
        data={"title": "Needs survey", "dates": ["2026-12-01"], "count": 3, "nested": {"a": 1}},
        version=2,
    )
    wire = json.loads(json.dumps(event.model_dump(mode="json")))
    back = Event.model_validate(wire)
    assert back == event
    assert (back.type, back.version, back.subject_id) == ("assessment.deleted", 2, subject)
    assert back.data["nested"] == {"a": 1}
    assert back.occurred_at.tzinfo is not None


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"type": "ppa"}, "type"),
        ({"type": "ppa.created.late"}, "type"),
        ({"type": "x" * 60 + "." + "y" * 60}, "type"),
        ({"version": -1}, "version"),
        ({"occurred_at": "yesterday"}, "occurred_at"),
        ({"subject_id": "42"}, "subject_id"),
        ({"data": ["not", "an", "object"]}, "data"),
    ],
)
def test_bad_envelopes_name_the_field(changes: dict[str, object], field: str) -> None:
    wire = {
        **Event.new("ppa.created", producer="p", subject_id=None, data={}).model_dump(),
        **changes,
    }
    with pytest.raises(ValidationError) as refused:
        Event.model_validate(wire)
    assert [error["loc"][0] for error in refused.value.errors()] == [field]


def test_new_event_carries_the_producers_trace() -> None:
    tracer = TracerProvider().get_tracer("bus-tests")
    assert Event.new("ppa.created", producer="p", subject_id=None, data={}).traceparent is None
    with tracer.start_as_current_span("request") as span:
        event = Event.new("ppa.created", producer="p", subject_id=None, data={})
    trace_id = format(span.get_span_context().trace_id, "032x")
    assert event.traceparent is not None
    assert trace_id in event.traceparent
    continued = trace.get_current_span(event.trace_context()).get_span_context()
    assert continued.trace_id == span.get_span_context().trace_id


def test_retry_backoff_doubles_and_is_capped() -> None:
    assert [retry_delay(n, 0.2) for n in range(4)] == [0.2, 0.4, 0.8, 1.6]
    assert [retry_delay(n, 2.0) for n in range(3)] == [2.0, 4.0, 8.0]
    assert retry_delay(30, 2.0) == 300.0
