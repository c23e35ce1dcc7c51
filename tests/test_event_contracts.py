"""The event contracts (`obcms_platform.contracts`) against who sends and who handles them.

A handler whose type its consumer's queue is not bound to is never called (the message never
reaches the queue); a binding with no handler fills the queue with ignored events; a type
nobody publishes is a handler waiting for nothing. Each check is a function run on the real
tree, and once on a tree broken on purpose, so that it is seen to fail.
"""

from __future__ import annotations

import ast
import datetime as dt
import importlib
import tempfile
import uuid
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest
import redis

from calendar_service.comments import models as calendar_comments
from gateway_service.events import FeedInvalidationHandlers
from notifications_service import events as notifications_events
from notifications_service.settings import NotificationsSettings
from obcms_platform import contracts
from obcms_platform.bus import Event, topology
from obcms_platform.bus.consumer import Handler
from obcms_platform.bus.topology import SUBSCRIPTIONS, subscribes
from obcms_platform.contracts import (
    CONTRACTS,
    EVENT_CREATED,
    MILESTONE_CHANGED,
    EventContract,
    PpaApprovalChanged,
    PpaCreated,
    TaskChanged,
)
from obcms_platform.registry import COMMENT_FAMILY, DEPLOYABLES, EXPORT_FAMILY
from obcms_platform.storage import LocalStorage
from portfolio_service import events as portfolio_events
from portfolio_service.comments import models as portfolio_comments
from tasks_service import events as tasks_events
from tasks_service.comments import models as tasks_comments

NAMES = [contract.name for contract in CONTRACTS]
# Families several services announce through one mechanism: the module naming their types.
SHARED_FAMILIES = {
    COMMENT_FAMILY: "obcms_platform.comments",
    EXPORT_FAMILY: "obcms_platform.export_jobs",
}


def consumer_handlers() -> dict[str, Mapping[str, Handler]]:
    return {
        "tasks": tasks_events.handlers(LocalStorage(Path(tempfile.gettempdir()))),
        "portfolio": portfolio_events.handlers(LocalStorage(Path(tempfile.gettempdir()))),
        "notifications": notifications_events.handlers(NotificationsSettings()),
        # Handles by family; a Redis client connects only when a handler runs.
        "gateway": FeedInvalidationHandlers(redis.Redis()),
    }


def handled_types(handlers: Mapping[str, Handler]) -> list[str]:
    return [name for name in NAMES if name in handlers]


def undeclared_handler_keys() -> list[str]:
    return [
        f"{consumer} handles {key}"
        for consumer, handlers in consumer_handlers().items()
        if consumer != "gateway"  # it handles whole families
        for key in handlers
        if key not in NAMES
    ]


def unsubscribed_handlers() -> list[str]:
    return [
        f"{consumer} handles {name} but its queue is not bound to it"
        for consumer, handlers in consumer_handlers().items()
        for name in handled_types(handlers)
        if not subscribes(consumer, name)
    ]


def unhandled_subscriptions() -> list[str]:
    return [
        f"{consumer} is bound to {name} but has no handler"
        for consumer, handlers in consumer_handlers().items()
        for name in NAMES
        if subscribes(consumer, name) and name not in handlers
    ]


def patterns_matching_nothing() -> list[str]:
    return [
        f"{consumer} subscribes to {pattern}, which no declared type matches"
        for consumer, patterns in SUBSCRIPTIONS.items()
        for pattern in patterns
        if not any(topology.topic_matches(pattern, name) for name in NAMES)
    ]


def _referenced_names(package: str) -> set[str]:
    """The names a package's source mentions (``PPA_CREATED``, ``contracts.PPA_CREATED``)."""
    root = Path(importlib.import_module(package).__file__ or "").parent
    found: set[str] = set()
    for path in root.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Name):
                found.add(node.id)
            elif isinstance(node, ast.Attribute):
                found.add(node.attr)
    return found


def unpublished_types(declared: tuple[EventContract[Any], ...] = CONTRACTS) -> list[str]:
    """Declared types whose family no service publishes, or whose publisher never names them
    (a producer publishes a type by naming its constant: `outbox.add(session, PPA_CREATED,
    ...)`). Comments and export jobs are announced by the shared mechanism each service
    keeping them wires (`SHARED_FAMILIES`): the only families of several publishers."""
    constants = {value.name: name for name, value in vars(contracts).items() if value in CONTRACTS}
    problems = []
    for contract in declared:
        publishers = [each for each in DEPLOYABLES if contract.family in each.announces]
        shared = contract.family in SHARED_FAMILIES
        if not publishers or (len(publishers) > 1 and not shared):
            problems.append(f"{contract.name} is published by {len(publishers)} services")
            continue
        for publisher in publishers:
            package = SHARED_FAMILIES[contract.family] if shared else publisher.package
            if constants.get(contract.name) not in _referenced_names(package):
                problems.append(f"{publisher.name} never publishes {contract.name}")
    return problems


def test_each_service_keeping_comments_wires_them_on_the_records_it_declares() -> None:
    kept = {
        "tasks": tasks_comments.COMMENTS,
        "portfolio": portfolio_comments.COMMENTS,
        "calendar": calendar_comments.COMMENTS,
    }
    assert {each.name for each in DEPLOYABLES if each.comments_on} == set(kept)
    for name, comments in kept.items():
        declared = next(each.comments_on for each in DEPLOYABLES if each.name == name)
        assert tuple(record.record_type.value for record in comments.on) == declared
        assert comments.outbox.producer == name


def test_every_handler_key_is_a_declared_event_type() -> None:
    assert undeclared_handler_keys() == []


def test_every_handled_type_reaches_its_consumer() -> None:
    assert set(SUBSCRIPTIONS) == set(consumer_handlers())
    assert unsubscribed_handlers() == []


def test_every_subscribed_type_is_handled() -> None:
    assert unhandled_subscriptions() == []


def test_every_subscription_matches_a_declared_type() -> None:
    assert patterns_matching_nothing() == []


def test_every_declared_type_is_published_by_its_service() -> None:
    assert unpublished_types() == []


def test_every_published_family_has_declared_types() -> None:
    families = {contract.family for contract in CONTRACTS}
    published = {family for each in DEPLOYABLES for family in each.announces}
    assert published == families


def test_the_checks_fail_on_a_tree_that_disagrees(monkeypatch: pytest.MonkeyPatch) -> None:
    handler = tasks_events.HANDLERS[EVENT_CREATED.name]
    monkeypatch.setitem(tasks_events.HANDLERS, MILESTONE_CHANGED.name, handler)
    monkeypatch.setitem(tasks_events.HANDLERS, "ppa.archived", handler)
    assert unsubscribed_handlers() == [
        "tasks handles milestone.changed but its queue is not bound to it"
    ]
    assert undeclared_handler_keys() == ["tasks handles ppa.archived"]
    monkeypatch.setitem(SUBSCRIPTIONS, "portfolio", ("task.*", "budget.*", "ppa.created"))
    assert patterns_matching_nothing() == [
        "portfolio subscribes to budget.*, which no declared type matches"
    ]
    assert unhandled_subscriptions() == ["portfolio is bound to ppa.created but has no handler"]
    declared = (
        *CONTRACTS,
        EventContract("task.archived", TaskChanged),
        EventContract("budget.changed", TaskChanged),
    )
    assert unpublished_types(declared) == [
        "tasks never publishes task.archived",
        "budget.changed is published by 0 services",
    ]


def test_payloads_travel_as_the_data_sent_before_them() -> None:
    ppa_id, lead = uuid.uuid4(), uuid.uuid4()
    created = PpaCreated(
        title="Road",
        category="oobc_ppa",
        status="planning",
        start_date=dt.date(2026, 3, 1),
        target_end_date=None,
        fiscal_year=2026,
        owner_ids=[lead],
        lead_id=lead,
        created_by=None,
    )
    assert created.data() == {
        "title": "Road",
        "category": "oobc_ppa",
        "status": "planning",
        "start_date": "2026-03-01",
        "target_end_date": None,
        "fiscal_year": 2026,
        "owner_ids": [str(lead)],
        "lead_id": str(lead),
        "created_by": None,
    }
    moved = PpaApprovalChanged(title="Road", from_="draft", to="technical_review")
    assert moved.data()["from"] == "draft"
    # As an older release sent it: no owners named, a field since dropped.
    old = Event.new(
        "ppa.created",
        producer="portfolio",
        subject_id=ppa_id,
        data={"title": "Road", "category": "moa_ppa", "retired_field": 1},
    )
    assert PpaCreated.of(old).owner_ids is None
    relayed = Event.new(
        "ppa.approval_changed", producer="portfolio", subject_id=ppa_id, data=moved.data()
    )
    assert PpaApprovalChanged.of(relayed) == moved
