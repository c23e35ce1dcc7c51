"""Who may do what to which record: every write route of every service, read from the OpenAPI
documents, for the record's owner, another staff member, a manager, an admin and a manager
who owns the record (nobody decides their own request).

Each route must carry exactly one rule of the central rule set (`obcms_platform.authz`), so a
new write route without one fails here; the expected answer of each caller comes from the
rule, and the request is made for real against a record the owner made through the API. The
documentation's tables (docs/authorization.md) must be the rule sets themselves."""

from __future__ import annotations

import itertools
import re
import uuid
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from security_helpers import SERVICES, UNSAFE_METHODS, Operation, operations, schema_app

from calendar_service import authz as calendar_authz
from notifications_service import authz as notifications_authz
from notifications_service.db import load_models as load_notification_models
from notifications_service.events import handlers as notification_handlers
from notifications_service.settings import NotificationsSettings
from obcms_platform.auth import Principal, Role
from obcms_platform.authz import Authorize, Ownership, Rule, ensure, rule_table, rules_of
from obcms_platform.bus import Event
from obcms_platform.contracts import TASK_CREATED, USER_CHANGED, TaskChanged, UserChanged
from obcms_platform.errors import ForbiddenError
from obcms_platform.testing import Caller, make_caller
from obcms_platform.testing.files import PDF
from portfolio_service import authz as portfolio_authz
from tasks_service import authz as tasks_authz

DOCUMENT = Path(__file__).parents[2] / "docs" / "authorization.md"
RULE_SETS = {
    "tasks": tasks_authz.RULES,
    "portfolio": portfolio_authz.RULES,
    "calendar": calendar_authz.RULES,
    "notifications": notifications_authz.RULES,
}

WRITE_OPERATIONS = [
    pytest.param(service, operation, id=f"{service} {operation.label}")
    for service in SERVICES
    for operation in operations(schema_app(service))
    if operation.method in UNSAFE_METHODS
]
ADMIN = make_caller(Role.ADMIN)
_serial = itertools.count(1)


def _rule(operation: Operation) -> Rule:
    rules = rules_of(operation.route.dependant)
    assert len(rules) == 1, f"{operation.label}: rules {[r.action for r in rules]}"
    return rules[0]


@pytest.mark.parametrize(("service", "operation"), WRITE_OPERATIONS)
def test_every_write_route_has_one_rule_of_its_service(service, operation):
    assert _rule(operation) in RULE_SETS[service], operation.label


# --- records owned by someone, made through the API ----------------------------------------


def _created(response: Any) -> dict[str, Any]:
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


def _post(client: TestClient, caller: Caller, path: str, body: dict[str, Any]) -> dict[str, Any]:
    return _created(client.post(f"/api/v1/{path}", json=body, headers=caller.headers))


def _task(client: TestClient, owner: Caller) -> dict[str, str]:
    """A task, and another for the routes about one of its dependencies."""
    task = _post(client, owner, "tasks", {"title": "Owned task"})
    other = _post(client, owner, "tasks", {"title": "Another task"})
    return {"task_id": task["id"], "other_id": other["id"]}


def _team(client: TestClient, owner: Caller) -> dict[str, str]:
    members = [{"user_id": str(owner.user_id), "role": "lead"}]
    team = _post(client, ADMIN, "teams", {"name": f"Team {next(_serial)}", "members": members})
    return {"team_id": team["id"]}


def _ppa(client: TestClient, owner: Caller) -> dict[str, str]:
    ppa = _post(client, owner, "ppas", {"title": "Owned PPA", "category": "obc_request"})
    return {"ppa_id": ppa["id"], "stage": "budget_call"}


def _milestone(client: TestClient, owner: Caller) -> dict[str, str]:
    params = _ppa(client, owner)
    body = {"title": "Owned milestone", "date": "2027-01-15"}
    milestone = _post(client, owner, f"ppas/{params['ppa_id']}/milestones", body)
    return {**params, "milestone_id": milestone["id"]}


def _indicator(client: TestClient, owner: Caller) -> dict[str, str]:
    """An indicator of a PPA, with an actual recorded."""
    params = _ppa(client, owner)
    indicators = f"ppas/{params['ppa_id']}/indicators"
    body = {
        "name": "Owned",
        "kind": "output",
        "baseline": 0,
        "target": 10,
        "target_date": "2027-06-30",
    }
    indicator = _post(client, owner, indicators, body)
    actual = _post(
        client,
        owner,
        f"{indicators}/{indicator['id']}/actuals",
        {"period_end": "2026-01-31", "value": 1},
    )
    return {**params, "indicator_id": indicator["id"], "actual_id": actual["id"]}


def _assessment(client: TestClient, owner: Caller) -> dict[str, str]:
    body = {"title": "Owned", "primary_methodology": "survey", "assessment_level": "regional"}
    return {"assessment_id": _post(client, owner, "assessments", body)["id"]}


def _need(client: TestClient, owner: Caller) -> dict[str, str]:
    """A need, and a PPA for the routes about one of its links."""
    need = _post(client, owner, "needs", {"title": "Owned need"})
    return {"need_id": need["id"], "ppa_id": _ppa(client, owner)["ppa_id"]}


def _event(client: TestClient, owner: Caller) -> dict[str, str]:
    body = {
        "title": "Owned series",
        "event_type": "meeting",
        "start": "2026-12-07T09:00",
        "end": "2026-12-07T10:00",
        "recurrence": {"freq": "daily", "count": 5},
    }
    return {"event_id": _post(client, owner, "events", body)["id"], "day": "20261208"}


def _booking(client: TestClient, owner: Caller) -> dict[str, str]:
    resource = _post(
        client,
        ADMIN,
        "resources",
        {
            "name": f"Room {next(_serial)}",
            "resource_type": "room",
            "booking_requires_approval": True,
        },
    )
    body = {"resource_id": resource["id"], "start": "2031-02-03T09:00", "end": "2031-02-03T10:00"}
    return {"booking_id": _post(client, owner, "bookings", body)["id"]}


def _leave(client: TestClient, owner: Caller) -> dict[str, str]:
    start = date(2027, 3, 1) + timedelta(days=next(_serial))
    body = {"leave_type": "vacation", "start_date": str(start), "end_date": str(start)}
    return {"leave_id": _post(client, owner, "leaves", body)["id"]}


def _notification(client: TestClient, owner: Caller) -> dict[str, str]:
    """A notification to `owner`, made as the bus makes one: their account is announced,
    then a task is assigned to them."""
    load_notification_models()
    handlers = notification_handlers(NotificationsSettings())
    task_id = uuid.uuid4()
    announced = [
        Event.new(
            USER_CHANGED.name,
            producer="gateway",
            subject_id=owner.user_id,
            data=UserChanged(user_id=owner.user_id, role=Role.STAFF, active=True, version=1).data(),
        ),
        Event.new(
            TASK_CREATED.name,
            producer="tasks",
            subject_id=task_id,
            data=TaskChanged(
                task_id=task_id,
                title="Owned task",
                status="not_started",
                assignee_ids=[owner.user_id],
                version=1,
            ).data(),
        ),
    ]
    with client.app.state.database.session() as session:  # type: ignore[attr-defined]
        for event in announced:
            handlers[event.type](session, event)
        session.commit()
    inbox = client.get("/api/v1/notifications", headers=owner.headers).json()["items"]
    return {"notification_id": inbox[0]["id"]}


# The record a path is about, by its path parameters (the most specific first).
MAKERS: list[tuple[str, Callable[[TestClient, Caller], dict[str, str]]]] = [
    ("milestone_id", _milestone),
    ("indicator_id", _indicator),
    ("need_id", _need),
    ("ppa_id", _ppa),
    ("task_id", _task),
    ("team_id", _team),
    ("assessment_id", _assessment),
    ("event_id", _event),
    ("booking_id", _booking),
    ("leave_id", _leave),
    ("notification_id", _notification),
]

OWNED_OPERATIONS = [p for p in WRITE_OPERATIONS if _rule(p.values[1]).needs_record]

# Callers, relative to the record's owner, with their role.
ACTORS = {
    "owner": Role.STAFF,
    "other staff": Role.STAFF,
    "manager": Role.MANAGER,
    "admin": Role.ADMIN,
    "owning manager": Role.MANAGER,
}


def _commented(
    record: Callable[[TestClient, Caller], dict[str, str]], collection: str, param: str
) -> Callable[[TestClient, Caller], dict[str, str]]:
    """The maker of a comment by the owner, on a record `record` makes."""

    def make(client: TestClient, owner: Caller) -> dict[str, str]:
        params = record(client, owner)
        path = f"{collection}/{params[param]}/comments"
        return {**params, "comment_id": _post(client, owner, path, {"body": "Owned"})["id"]}

    return make


def _maker(operation: Operation) -> Callable[[TestClient, Caller], dict[str, str]]:
    names = set(re.findall(r"{(\w+)}", operation.path))
    for name, maker in MAKERS:
        if name in names:
            if "comment_id" in names:
                collection = operation.path.removeprefix("/api/v1/").split("/", 1)[0]
                return _commented(maker, collection, name)
            if "attachment_id" in names:
                return _with_attachment(maker, operation.path)
            return maker
    raise AssertionError(f"{operation.label}: no record maker for {sorted(names)}")


def _with_attachment(
    maker: Callable[[TestClient, Caller], dict[str, str]], path: str
) -> Callable[[TestClient, Caller], dict[str, str]]:
    """The record `maker` makes, with a file its owner attached to it."""

    def make(client: TestClient, owner: Caller) -> dict[str, str]:
        params = maker(client, owner)
        attachments = path.partition("/{attachment_id}")[0].format(**params)
        response = client.post(
            attachments, files={"file": ("a.pdf", PDF, "application/pdf")}, headers=owner.headers
        )
        return {**params, "attachment_id": _created(response)["id"]}

    return make


@pytest.mark.parametrize(("service", "operation"), OWNED_OPERATIONS)
@pytest.mark.parametrize("actor", list(ACTORS))
def test_write_route_answers_each_caller_as_its_rule_says(
    service_clients, service, operation, actor
):
    client = service_clients[service]
    rule = _rule(operation)
    owns = actor in {"owner", "owning manager"}
    owner = make_caller(ACTORS[actor]) if owns else make_caller(Role.STAFF)
    caller = owner if owns else make_caller(ACTORS[actor])
    url = operation.path.format(**_maker(operation)(client, owner))
    principal = Principal(caller.user_id, frozenset({ACTORS[actor]}))
    # The owner of every record made above is the person who asked for it.
    allowed = rule.allows(principal, Ownership.of(owner.user_id, requester=owner.user_id))

    response = client.request(operation.method, url, json=operation.body(), headers=caller.headers)

    label = f"{operation.label} as {actor}"
    assert response.status_code < 500, f"{label}: {response.text[:300]}"
    if allowed:
        assert response.status_code != 403, f"{label}: {response.text[:300]}"
    else:
        assert response.status_code == 403, f"{label}: {response.status_code} {response.text}"
        assert rule.summary in response.json()["error"]["message"]


def test_the_matrix_expects_what_the_issue_demands():
    """The rules themselves, on the findings of the issue (so a loosened rule fails too)."""
    owner, other = make_caller(Role.STAFF), make_caller(Role.STAFF)
    manager = make_caller(Role.MANAGER)

    def principal(caller: Caller, role: Role) -> Principal:
        return Principal(caller.user_id, frozenset({role}))

    owned = Ownership.of(owner.user_id, requester=owner.user_id)
    for rule in (
        portfolio_authz.PPA_UPDATE,
        portfolio_authz.WORKFLOW_UPDATE,
        portfolio_authz.MILESTONE_WRITE,
        portfolio_authz.ASSESSMENT_WRITE,
        portfolio_authz.NEED_WRITE,
        tasks_authz.TASK_UPDATE,
        calendar_authz.EVENT_WRITE,
    ):
        assert rule.allows(principal(owner, Role.STAFF), owned), rule.action
        assert not rule.allows(principal(other, Role.STAFF), owned), rule.action
        assert rule.allows(principal(manager, Role.MANAGER), owned), rule.action
    own_request = Ownership.of(manager.user_id, requester=manager.user_id)
    for rule in (calendar_authz.LEAVE_DECIDE, calendar_authz.BOOKING_DECIDE):
        assert not rule.allows(principal(manager, Role.MANAGER), own_request), rule.action
        assert not rule.allows(principal(manager, Role.ADMIN), own_request), rule.action
        assert rule.allows(principal(other, Role.MANAGER), own_request), rule.action


def test_only_its_author_edits_a_comment_and_its_author_or_a_manager_deletes_it():
    author, other = make_caller(Role.STAFF), make_caller(Role.STAFF)
    written = Ownership.of(author.user_id)
    for rules in (
        tasks_authz.COMMENT_RULES,
        portfolio_authz.COMMENT_RULES,
        calendar_authz.COMMENT_RULES,
    ):
        assert rules.create.allows(Principal(other.user_id, frozenset({Role.STAFF})))
        for role in Role:
            assert rules.edit.allows(Principal(author.user_id, frozenset({role})), written)
            assert not rules.edit.allows(Principal(other.user_id, frozenset({role})), written)
        assert rules.delete.allows(Principal(author.user_id, frozenset({Role.STAFF})), written)
        assert not rules.delete.allows(Principal(other.user_id, frozenset({Role.STAFF})), written)
        assert rules.delete.allows(Principal(other.user_id, frozenset({Role.MANAGER})), written)


# --- the documentation -------------------------------------------------------------------


@pytest.mark.parametrize("service", RULE_SETS)
def test_the_documented_table_is_the_rule_set(service):
    assert rule_table(RULE_SETS[service]) in DOCUMENT.read_text(), (
        f"docs/authorization.md: the {service} table differs from {service}_service/authz.py; "
        f"paste:\n{rule_table(RULE_SETS[service])}"
    )


def test_a_rule_about_a_record_cannot_be_attached_without_its_loader():
    with pytest.raises(ValueError, match="loader"):
        Authorize(Rule("x.y", "Something", owners=True))


def test_the_requester_of_a_record_is_told_why():
    manager = make_caller(Role.MANAGER)
    with pytest.raises(ForbiddenError, match="nobody decides their own request"):
        ensure(
            Principal(manager.user_id, frozenset({Role.MANAGER})),
            calendar_authz.LEAVE_DECIDE,
            Ownership.of(manager.user_id, requester=manager.user_id),
        )


def test_unknown_records_are_404_for_their_owners_rules(service_clients):
    staff = make_caller(Role.STAFF)
    missing = uuid.uuid4()
    response = service_clients["portfolio"].patch(
        f"/api/v1/ppas/{missing}", json={}, headers=staff.headers
    )
    assert response.status_code == 404, response.text
