"""Task templates: the shipped catalogue, CRUD, and idempotent task generation."""

from __future__ import annotations

import threading
import uuid
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from obcms_platform.db import Database
from obcms_platform.testing import assert_error
from obcms_platform.zones import office_today
from tasks_service.tasks.models import Task, TaskDomain, TaskPriority, TaskStatus
from tasks_service.templates.models import SubjectKind, TemplateGeneration
from tasks_service.templates.service import TemplateSubject, generate_from_template

TEMPLATES = "/api/v1/task-templates"
BASE = date(2026, 3, 2)

SHIPPED_COUNTS = {
    "ppa_budget_cycle": 10,
    "mana_assessment_desk_review": 10,
    "mana_assessment_survey": 15,
    "mana_assessment_participatory": 20,
    "mana_assessment_full_cycle": 26,
    "mana_assessment_basic": 6,
    "event_meeting_standard": 8,
    "event_workshop_full": 12,
    "event_conference_full": 15,
}

# DOMAIN.md: ppa_budget_cycle items (offset, title, priority).
PPA_BUDGET_CYCLE = [
    (0, "Formulate PPA budget proposal", "high"),
    (5, "Prepare budget justification", "high"),
    (8, "Review budget alignment", "medium"),
    (12, "Submit budget proposal", "critical"),
    (30, "Prepare technical hearing materials", "high"),
    (45, "Attend technical hearing", "critical"),
    (48, "Revise budget based on feedback", "high"),
    (90, "Track budget allocation", "medium"),
    (120, "Monitor budget utilization", "high"),
    (350, "Prepare budget accountability report", "high"),
]
SURVEY_OFFSETS = [0, 2, 5, 7, 9, 10, 12, 14, 20, 23, 25, 28, 30, 33, 35]
FULL_CYCLE_OFFSETS = [
    0, 3, 5, 7, 10, 14, 14, 17, 20, 21, 24, 28, 30, 32, 35, 37, 40, 42, 43, 44, 47, 49, 52, 54,
    56, 60,
]  # fmt: skip
MEETING_OFFSETS = [0, 1, 2, 4, 6, 7, 8, 14]


def template_body(**overrides) -> dict:
    body = {
        "name": "site_visit",
        "domain": "communities",
        "description": "Visit a community",
        "items": [
            {"title": "Plan visit to {event_title}", "priority": "high", "days_from_start": 0},
            {"title": "Write visit report", "estimated_hours": 3.5, "days_from_start": 7},
        ],
    }
    body.update(overrides)
    return body


def generate_body(kind: str = "ppa", subject_id: uuid.UUID | None = None, **extra) -> dict:
    return {
        "subject_kind": kind,
        "subject_id": str(subject_id or uuid.uuid4()),
        "base_date": BASE.isoformat(),
        **extra,
    }


def generated_tasks(client, caller, template: str, kind: str, *args, **extra) -> list[dict]:
    """Generate `template`'s tasks for a `kind` record (`generate_body`'s other arguments)."""
    response = client.post(
        f"{TEMPLATES}/{template}/generate",
        json=generate_body(kind, *args, **extra),
        headers=caller.headers,
    )
    assert response.status_code == 201, response.text
    return response.json()["tasks"]


# --- the shipped catalogue ----------------------------------------------------------------


def test_catalogue_ships_with_the_product(client, staff):
    response = client.get(TEMPLATES, headers=staff.headers)
    assert response.status_code == 200
    templates = {t["name"]: t for t in response.json()}
    assert {name: len(t["items"]) for name, t in templates.items()} == SHIPPED_COUNTS
    assert all(t["is_active"] for t in templates.values())
    for template in templates.values():
        assert [i["sequence"] for i in template["items"]] == list(
            range(1, len(template["items"]) + 1)
        )
        assert all(i["title"] and i["description"] for i in template["items"])


def test_ppa_budget_cycle_is_exactly_as_documented(client, staff):
    template = client.get(f"{TEMPLATES}/ppa_budget_cycle", headers=staff.headers).json()
    assert template["domain"] == "monitoring"
    assert [(i["days_from_start"], i["title"], i["priority"]) for i in template["items"]] == (
        PPA_BUDGET_CYCLE
    )


def test_documented_offsets_and_domains(client, staff):
    def get(name):
        return client.get(f"{TEMPLATES}/{name}", headers=staff.headers).json()

    def offsets(template):
        return [i["days_from_start"] for i in template["items"]]

    survey = get("mana_assessment_survey")
    assert offsets(survey) == SURVEY_OFFSETS
    full_cycle = get("mana_assessment_full_cycle")
    assert offsets(full_cycle) == FULL_CYCLE_OFFSETS
    meeting = get("event_meeting_standard")
    assert offsets(meeting) == MEETING_OFFSETS
    assert meeting["domain"] == "coordination"
    desk = get("mana_assessment_desk_review")
    assert min(offsets(desk)) == 0
    assert max(offsets(desk)) == 20
    participatory = get("mana_assessment_participatory")
    assert min(offsets(participatory)) == 0
    assert max(offsets(participatory)) == 45
    for name in SHIPPED_COUNTS:
        if name.startswith("mana_"):
            assert get(name)["domain"] == "mana"
        if name.startswith("event_"):
            assert get(name)["domain"] == "coordination"
            assert all("{event_title}" not in i["description"] for i in get(name)["items"])


def test_active_filter(client, manager):
    body = {k: v for k, v in template_body(is_active=False).items() if k != "name"}
    response = client.put(f"{TEMPLATES}/ppa_budget_cycle", json=body, headers=manager.headers)
    assert response.status_code == 200, response.text
    active = client.get(TEMPLATES, params={"active": "true"}, headers=manager.headers).json()
    inactive = client.get(TEMPLATES, params={"active": "false"}, headers=manager.headers).json()
    assert "ppa_budget_cycle" not in {t["name"] for t in active}
    assert len(active) == 8
    assert [t["name"] for t in inactive] == ["ppa_budget_cycle"]


# --- CRUD ---------------------------------------------------------------------------------


def test_manager_creates_template(client, manager, staff):
    response = client.post(TEMPLATES, json=template_body(), headers=manager.headers)
    assert response.status_code == 201, response.text
    created = response.json()
    assert created["name"] == "site_visit"
    assert created["domain"] == "communities"
    assert created["is_active"] is True
    assert [
        (i["sequence"], i["title"], i["priority"], i["estimated_hours"], i["days_from_start"])
        for i in created["items"]
    ] == [
        (1, "Plan visit to {event_title}", "high", None, 0),
        (2, "Write visit report", "medium", 3.5, 7),
    ]
    fetched = client.get(f"{TEMPLATES}/site_visit", headers=staff.headers)
    assert fetched.status_code == 200
    assert fetched.json()["items"] == created["items"]
    assert len(client.get(TEMPLATES, headers=staff.headers).json()) == 10


def test_staff_cannot_change_templates(client, staff):
    assert_error(client.post(TEMPLATES, json=template_body(), headers=staff.headers), 403, None)
    body = {k: v for k, v in template_body().items() if k != "name"}
    assert_error(client.put(f"{TEMPLATES}/site_visit", json=body, headers=staff.headers), 403, None)
    assert_error(client.delete(f"{TEMPLATES}/ppa_budget_cycle", headers=staff.headers), 403, None)
    assert client.get(f"{TEMPLATES}/ppa_budget_cycle", headers=staff.headers).status_code == 200
    assert client.get(f"{TEMPLATES}/site_visit", headers=staff.headers).status_code == 404


def test_duplicate_template_name_is_conflict(client, manager):
    response = client.post(
        TEMPLATES, json=template_body(name="ppa_budget_cycle"), headers=manager.headers
    )
    assert_error(response, 409, "name")
    template = client.get(f"{TEMPLATES}/ppa_budget_cycle", headers=manager.headers).json()
    assert len(template["items"]) == 10


@pytest.mark.parametrize("name", ["Bad Name", "x", "1abc", "with-dash"])
def test_invalid_template_name_is_refused(client, manager, name):
    assert_error(
        client.post(TEMPLATES, json=template_body(name=name), headers=manager.headers), 422, "name"
    )


def test_template_needs_at_least_one_item(client, manager):
    response = client.post(TEMPLATES, json=template_body(items=[]), headers=manager.headers)
    assert_error(response, 422, "items")


def test_an_offset_more_than_a_year_before_the_start_is_refused(client, manager):
    items = [{"title": "Too early", "days_from_start": -366}]
    response = client.post(TEMPLATES, json=template_body(items=items), headers=manager.headers)
    assert_error(response, 422, "items[0].days_from_start")


def test_a_task_before_the_start_is_due_that_many_days_before_but_never_in_the_past(
    client, manager
):
    """ "Circulate the agenda" three days before a meeting: due three days before; for a
    meeting planned for tomorrow, due today rather than born overdue."""
    items = [
        {"title": "Circulate the agenda", "days_from_start": -3},
        {"title": "Hold the meeting", "days_from_start": 0},
    ]
    name = f"before_start_{uuid.uuid4().hex[:6]}"
    created = client.post(
        TEMPLATES, json=template_body(name=name, items=items), headers=manager.headers
    )
    assert created.status_code == 201, created.text
    assert [i["days_from_start"] for i in created.json()["items"]] == [-3, 0]
    url = f"{TEMPLATES}/{name}/generate"
    later = office_today() + timedelta(days=20)
    far = client.post(
        url,
        json=generate_body("event", uuid.uuid4(), base_date=later.isoformat()),
        headers=manager.headers,
    )
    assert sorted(t["due_date"] for t in far.json()["tasks"]) == [
        (later - timedelta(days=3)).isoformat(),
        later.isoformat(),
    ]
    tomorrow = office_today() + timedelta(days=1)
    soon = client.post(
        url,
        json=generate_body("event", uuid.uuid4(), base_date=tomorrow.isoformat()),
        headers=manager.headers,
    )
    assert sorted(t["due_date"] for t in soon.json()["tasks"]) == [
        office_today().isoformat(),
        tomorrow.isoformat(),
    ]


def test_put_replaces_items(client, manager):
    body = {
        "domain": "monitoring",
        "description": "Shorter cycle",
        "items": [
            {"title": "Draft {ppa_title} budget", "priority": "critical", "days_from_start": 3}
        ],
    }
    response = client.put(f"{TEMPLATES}/ppa_budget_cycle", json=body, headers=manager.headers)
    assert response.status_code == 200, response.text
    replaced = response.json()
    assert replaced["description"] == "Shorter cycle"
    assert [
        (i["sequence"], i["title"], i["priority"], i["days_from_start"]) for i in replaced["items"]
    ] == [(1, "Draft {ppa_title} budget", "critical", 3)]
    got = client.get(f"{TEMPLATES}/ppa_budget_cycle", headers=manager.headers).json()
    assert got["items"] == replaced["items"]
    assert got["id"] == replaced["id"]


def test_put_creates_missing_template(client, manager):
    body = {k: v for k, v in template_body().items() if k != "name"}
    first = client.put(f"{TEMPLATES}/field_visit", json=body, headers=manager.headers)
    assert first.status_code == 201, first.text
    assert first.json()["name"] == "field_visit"
    assert len(first.json()["items"]) == 2
    again = client.put(f"{TEMPLATES}/field_visit", json=body, headers=manager.headers)
    assert again.status_code == 200
    assert again.json()["id"] == first.json()["id"]
    assert client.get(f"{TEMPLATES}/field_visit", headers=manager.headers).status_code == 200


def test_put_with_invalid_name_in_path_is_refused(client, manager):
    body = {k: v for k, v in template_body().items() if k != "name"}
    response = client.put(f"{TEMPLATES}/Bad%20Name", json=body, headers=manager.headers)
    assert_error(response, 422, "name")


def test_delete_template(client, manager):
    response = client.delete(f"{TEMPLATES}/event_workshop_full", headers=manager.headers)
    assert response.status_code == 204
    assert response.content == b""
    assert_error(client.get(f"{TEMPLATES}/event_workshop_full", headers=manager.headers), 404, None)
    assert_error(
        client.delete(f"{TEMPLATES}/event_workshop_full", headers=manager.headers), 404, None
    )
    assert len(client.get(TEMPLATES, headers=manager.headers).json()) == 8


def test_deleting_a_template_keeps_its_generated_tasks(client, manager, session):
    generated = client.post(
        f"{TEMPLATES}/event_meeting_standard/generate",
        json=generate_body("event"),
        headers=manager.headers,
    )
    assert generated.status_code == 201
    assert (
        client.delete(f"{TEMPLATES}/event_meeting_standard", headers=manager.headers).status_code
        == 204
    )
    count = session.scalar(
        select(func.count()).where(Task.created_from_template == "event_meeting_standard")
    )
    assert count == 8


@pytest.mark.parametrize(
    ("title", "field"),
    [
        ("Call {foo}", "items[0].title"),
        ("Call {", "items[0].title"),
        ("Call }", "items[0].title"),
        ("Call {}", "items[0].title"),
        ("Call {ppa_title.upper}", "items[0].title"),
        ("Call {event_title[0]}", "items[0].title"),
        ("Call {event_title:d}", "items[0].title"),
        ("Call {event_title!r}", "items[0].title"),
        ("Call {event_title:{foo}}", "items[0].title"),
    ],
)
def test_bad_placeholder_in_title_is_refused(client, manager, title, field):
    items = [{"title": title}, {"title": "Fine"}]
    for response in (
        client.post(TEMPLATES, json=template_body(items=items), headers=manager.headers),
        client.put(
            f"{TEMPLATES}/site_visit",
            json={"domain": "general", "items": items},
            headers=manager.headers,
        ),
    ):
        assert_error(response, 422, field)
    assert client.get(f"{TEMPLATES}/site_visit", headers=manager.headers).status_code == 404


def test_bad_placeholder_in_later_item_description_names_it(client, manager):
    items = [{"title": "Fine"}, {"title": "Also fine", "description": "see {foo}"}]
    response = client.post(TEMPLATES, json=template_body(items=items), headers=manager.headers)
    error = assert_error(response, 422, "items[1].description")
    assert "{foo}" in error["message"]


def test_put_with_bad_placeholder_leaves_existing_template_untouched(client, manager):
    body = {"domain": "monitoring", "items": [{"title": "Broken {"}]}
    response = client.put(f"{TEMPLATES}/ppa_budget_cycle", json=body, headers=manager.headers)
    assert_error(response, 422, "items[0].title")
    got = client.get(f"{TEMPLATES}/ppa_budget_cycle", headers=manager.headers).json()
    assert len(got["items"]) == 10


def test_escaped_braces_are_literal(client, manager):
    items = [{"title": "Fill {{form}} for {event_title}"}]
    response = client.post(TEMPLATES, json=template_body(items=items), headers=manager.headers)
    assert response.status_code == 201, response.text
    generated = generated_tasks(
        client, manager, "site_visit", "event", context={"event_title": "Cotabato"}
    )
    assert [t["title"] for t in generated] == ["Fill {form} for Cotabato"]


# --- generation: the Python function ------------------------------------------------------


def test_generate_for_ppa_via_function(session):
    ppa_id = uuid.uuid4()
    generation = generate_from_template(
        session, "ppa_budget_cycle", TemplateSubject(SubjectKind.PPA, ppa_id), BASE, {}
    )
    session.commit()
    assert generation.created is True
    assert len(generation.tasks) == 10

    session.expire_all()
    tasks = session.scalars(
        select(Task).where(Task.related_ppa_id == ppa_id).order_by(Task.due_date, Task.title)
    ).all()
    assert len(tasks) == 10
    assert {t.id for t in tasks} == {t.id for t in generation.tasks}
    by_title = {t.title: t for t in tasks}
    for offset, title, priority in PPA_BUDGET_CYCLE:
        task = by_title[title]
        assert task.due_date == BASE + timedelta(days=offset)
        assert task.priority is TaskPriority(priority)
        assert task.status is TaskStatus.NOT_STARTED
        assert task.domain is TaskDomain.MONITORING
        assert task.created_from_template == "ppa_budget_cycle"
        assert task.auto_generated is True
        assert task.related_ppa_id == ppa_id
        assert task.related_assessment_id is None
        assert task.related_event_id is None
        assert task.completed_at is None
        assert task.progress == 0
        assert task.description
        assert task.estimated_hours is not None
    assert session.scalar(select(func.count()).select_from(TemplateGeneration)) == 1


def test_function_is_idempotent_per_subject(session):
    subject = TemplateSubject(SubjectKind.ASSESSMENT, uuid.uuid4())
    first = generate_from_template(
        session, "mana_assessment_survey", subject, BASE, {"assessment_title": "Lanao MANA"}
    )
    session.commit()
    second = generate_from_template(session, "mana_assessment_survey", subject, BASE, {})
    session.commit()
    assert first.created is True
    assert second.created is False
    assert sorted(t.id for t in second.tasks) == sorted(t.id for t in first.tasks)
    assert session.scalar(select(func.count()).select_from(Task)) == 15
    tasks = session.scalars(select(Task).where(Task.related_assessment_id == subject.id)).all()
    assert sorted((t.due_date - BASE).days for t in tasks) == SURVEY_OFFSETS
    assert all(t.related_ppa_id is None and t.related_event_id is None for t in tasks)
    assert "Plan survey for Lanao MANA" in {t.title for t in tasks}


# --- generation: the API ------------------------------------------------------------------


def test_generate_via_api_then_repeat_creates_nothing(client, manager, staff):
    ppa_id = uuid.uuid4()
    url = f"{TEMPLATES}/ppa_budget_cycle/generate"
    first = client.post(url, json=generate_body("ppa", ppa_id), headers=manager.headers)
    assert first.status_code == 201, first.text
    result = first.json()
    assert result["created"] is True
    assert result["template"] == "ppa_budget_cycle"
    assert result["subject_kind"] == "ppa"
    assert result["subject_id"] == str(ppa_id)
    assert result["base_date"] == BASE.isoformat()
    tasks = result["tasks"]
    assert len(tasks) == 10
    assert sorted((date.fromisoformat(t["due_date"]) - BASE).days for t in tasks) == [
        offset for offset, _, _ in PPA_BUDGET_CYCLE
    ]
    assert {(t["title"], t["priority"]) for t in tasks} == {
        (title, priority) for _, title, priority in PPA_BUDGET_CYCLE
    }
    for task in tasks:
        assert task["status"] == "not_started"
        assert task["domain"] == "monitoring"
        assert task["created_from_template"] == "ppa_budget_cycle"
        assert task["auto_generated"] is True
        assert task["related_ppa_id"] == str(ppa_id)
        assert task["related_assessment_id"] is None
        assert task["related_event_id"] is None

    second = client.post(url, json=generate_body("ppa", ppa_id), headers=manager.headers)
    assert second.status_code == 200, second.text
    assert second.json()["created"] is False
    assert sorted(t["id"] for t in second.json()["tasks"]) == sorted(t["id"] for t in tasks)

    listed = client.get(
        "/api/v1/tasks", params={"related_ppa_id": str(ppa_id)}, headers=manager.headers
    ).json()
    assert listed["total"] == 10
    assert {t["id"] for t in listed["items"]} == {t["id"] for t in tasks}


def test_repeat_with_other_base_date_reports_the_dates_actually_used(client, manager):
    ppa_id = uuid.uuid4()
    url = f"{TEMPLATES}/ppa_budget_cycle/generate"
    first = client.post(url, json=generate_body("ppa", ppa_id), headers=manager.headers)
    assert first.status_code == 201
    later = (BASE + timedelta(days=30)).isoformat()
    again = client.post(
        url, json=generate_body("ppa", ppa_id, base_date=later), headers=manager.headers
    )
    assert again.status_code == 200
    assert again.json()["created"] is False
    assert again.json()["base_date"] == BASE.isoformat()
    assert min(t["due_date"] for t in again.json()["tasks"]) == BASE.isoformat()


def test_same_template_for_another_subject_creates_a_new_set(client, manager):
    url = f"{TEMPLATES}/ppa_budget_cycle/generate"
    first = client.post(url, json=generate_body("ppa"), headers=manager.headers)
    second = client.post(url, json=generate_body("ppa"), headers=manager.headers)
    assert (first.status_code, second.status_code) == (201, 201)
    first_ids = {t["id"] for t in first.json()["tasks"]}
    second_ids = {t["id"] for t in second.json()["tasks"]}
    assert len(first_ids) == len(second_ids) == 10
    assert not first_ids & second_ids
    total = client.get(
        "/api/v1/tasks",
        params={"created_from_template": "ppa_budget_cycle"},
        headers=manager.headers,
    ).json()["total"]
    assert total == 20


def test_same_subject_id_of_another_kind_is_another_subject(client, manager):
    subject_id = uuid.uuid4()
    url = f"{TEMPLATES}/mana_assessment_basic/generate"
    as_assessment = client.post(
        url, json=generate_body("assessment", subject_id), headers=manager.headers
    )
    as_event = client.post(url, json=generate_body("event", subject_id), headers=manager.headers)
    assert (as_assessment.status_code, as_event.status_code) == (201, 201)
    assert all(t["related_event_id"] == str(subject_id) for t in as_event.json()["tasks"])
    assert all(t["related_assessment_id"] is None for t in as_event.json()["tasks"])


def test_event_placeholders_rendered_from_context(client, manager):
    event_id = uuid.uuid4()
    tasks = generated_tasks(
        client,
        manager,
        "event_meeting_standard",
        "event",
        event_id,
        context={"event_title": "Board Meeting"},
    )
    assert len(tasks) == 8
    titles = {t["title"] for t in tasks}
    assert "Circulate agenda for Board Meeting" in titles
    assert "Prepare minutes of Board Meeting" in titles
    assert not any("{" in t["title"] or "}" in t["title"] for t in tasks)
    assert all(t["domain"] == "coordination" for t in tasks)
    assert all(t["related_event_id"] == str(event_id) for t in tasks)
    assert sorted((date.fromisoformat(t["due_date"]) - BASE).days for t in tasks) == (
        MEETING_OFFSETS
    )


def test_missing_context_falls_back_to_a_default_word(client, manager):
    titles = {
        t["title"] for t in generated_tasks(client, manager, "event_meeting_standard", "event")
    }
    assert "Circulate agenda for event" in titles
    assert not any("{" in title or "}" in title for title in titles)


def test_blank_context_value_falls_back_to_a_default_word(client, manager):
    tasks = generated_tasks(
        client, manager, "mana_assessment_basic", "assessment", context={"assessment_title": "   "}
    )
    assert "Plan assessment" in {t["title"] for t in tasks}


def test_braces_in_context_values_are_kept_verbatim(client, manager):
    tasks = generated_tasks(
        client,
        manager,
        "event_meeting_standard",
        "event",
        context={"event_title": "Q{1} review {ppa_title}"},
    )
    assert "Circulate agenda for Q{1} review {ppa_title}" in {t["title"] for t in tasks}


def test_concurrent_generation_creates_one_set(tasks_db_url, session):
    subject = TemplateSubject(SubjectKind.EVENT, uuid.uuid4())
    workers = 5
    barrier = threading.Barrier(workers)
    results: list = []
    errors: list[BaseException] = []
    database = Database(tasks_db_url, pool_size=workers)

    def worker() -> None:
        try:
            with database.session() as worker_session:
                barrier.wait()
                generation = generate_from_template(
                    worker_session,
                    "event_conference_full",
                    subject,
                    BASE,
                    {"event_title": "BARMM Summit"},
                )
                worker_session.commit()
                results.append((generation.created, sorted(t.id for t in generation.tasks)))
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=worker) for _ in range(workers)]
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
    finally:
        database.dispose()
    assert errors == []
    assert sorted(created for created, _ in results) == [False] * (workers - 1) + [True]
    id_sets = {tuple(ids) for _, ids in results}
    assert len(id_sets) == 1
    assert len(next(iter(id_sets))) == 15
    assert session.scalar(select(func.count()).where(Task.related_event_id == subject.id)) == 15
    assert session.scalar(select(func.count()).select_from(TemplateGeneration)) == 1


def test_inactive_template_cannot_generate(client, manager):
    body = {k: v for k, v in template_body(is_active=False).items() if k != "name"}
    assert client.put(f"{TEMPLATES}/paused", json=body, headers=manager.headers).status_code == 201
    response = client.post(
        f"{TEMPLATES}/paused/generate", json=generate_body("event"), headers=manager.headers
    )
    assert_error(response, 409, "name")
    assert (
        client.get(
            "/api/v1/tasks", params={"created_from_template": "paused"}, headers=manager.headers
        ).json()["total"]
        == 0
    )


def test_unknown_template_cannot_generate(client, manager):
    response = client.post(
        f"{TEMPLATES}/no_such_template/generate", json=generate_body(), headers=manager.headers
    )
    error = assert_error(response, 404, None)
    assert "no_such_template" in error["message"]


def test_staff_cannot_generate(client, staff, manager):
    response = client.post(
        f"{TEMPLATES}/ppa_budget_cycle/generate", json=generate_body(), headers=staff.headers
    )
    assert_error(response, 403, None)
    assert client.get("/api/v1/tasks", headers=manager.headers).json()["total"] == 0


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"subject_kind": "budget"}, "subject_kind"),
        ({"subject_id": "abc"}, "subject_id"),
        ({"base_date": "1900-01-01"}, "base_date"),
        # A plausible date whose later tasks would be due after 2199 (a task takes no such date).
        ({"base_date": "2199-12-30"}, "base_date"),
        ({"context": {"event_title": "x" * 301}}, "context.event_title"),
    ],
)
def test_invalid_generate_request_is_refused(client, manager, body, field):
    response = client.post(
        f"{TEMPLATES}/ppa_budget_cycle/generate",
        json={**generate_body(), **body},
        headers=manager.headers,
    )
    assert_error(response, 422, field)
    assert client.get("/api/v1/tasks", headers=manager.headers).json()["total"] == 0
