"""Cross-service workflows over the real bus: portfolio -> tasks -> portfolio.

One stack (fresh databases, a private Redis, both workers and the relay as subprocesses)
serves this module; each test works on its own PPAs and assessments, so the tests do not
see each other's effects. Everything arrives asynchronously: tests poll for convergence.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from sqlalchemy import text

from obcms_platform.auth import Role
from obcms_platform.testing import make_caller
from obcms_platform.zones import office_today

API = "/api/v1"

BUDGET_CYCLE = [
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

ASSESSMENT_TEMPLATES = {
    "desk_review": ("mana_assessment_desk_review", 10),
    "survey": ("mana_assessment_survey", 15),
    "participatory": ("mana_assessment_participatory", 20),
    "mixed": ("mana_assessment_full_cycle", 26),
    "kii": ("mana_assessment_basic", None),
    "workshop": ("mana_assessment_basic", None),
    "observation": ("mana_assessment_basic", None),
    "other": ("mana_assessment_basic", None),
}
# DOMAIN.md gives these offsets explicitly.
KNOWN_OFFSETS = {
    "mana_assessment_survey": [0, 2, 5, 7, 9, 10, 12, 14, 20, 23, 25, 28, 30, 33, 35],
    "mana_assessment_full_cycle": [
        0,
        3,
        5,
        7,
        10,
        14,
        14,
        17,
        20,
        21,
        24,
        28,
        30,
        32,
        35,
        37,
        40,
        42,
        43,
        44,
        47,
        49,
        52,
        54,
        56,
        60,
    ],
}


def _offsets(tasks: list[dict[str, Any]], base: date) -> list[int]:
    return sorted((date.fromisoformat(task["due_date"]) - base).days for task in tasks)


def test_new_oobc_and_moa_ppas_get_the_budget_cycle_and_obc_requests_none(shared_bus) -> None:
    """`ppa.created` of an oobc_ppa / moa_ppa -> exactly the 10 ppa_budget_cycle tasks
    (domain monitoring, due = start_date + offset, titles and priorities of DOMAIN.md,
    linked by related_ppa_id); an obc_request PPA -> no tasks."""
    bus = shared_bus
    start = date(2026, 3, 2)
    oobc = bus.create_ppa("oobc_ppa", start_date=start)
    moa = bus.create_ppa("moa_ppa", start_date=start + timedelta(days=7))
    request = bus.create_ppa("obc_request", start_date=start)

    for ppa in (oobc, moa):
        base = date.fromisoformat(ppa["start_date"])
        tasks = bus.wait_for_tasks(10, related_ppa_id=ppa["id"])
        got = sorted(
            (
                (date.fromisoformat(t["due_date"]) - base).days,
                t["title"],
                t["priority"],
            )
            for t in tasks
        )
        assert got == BUDGET_CYCLE
        for task in tasks:
            assert task["domain"] == "monitoring"
            assert task["status"] == "not_started"
            assert task["auto_generated"] is True
            assert task["created_from_template"] == "ppa_budget_cycle"
            assert task["related_ppa_id"] == ppa["id"]
            assert task["related_assessment_id"] is None

    bus.settled()
    assert bus.task_list(related_ppa_id=request["id"]) == []
    assert len(bus.task_list(related_ppa_id=oobc["id"])) == 10
    # The generated tasks came back over the bus into the portfolio's projection.
    assert bus.ppa(oobc["id"])["progress"] == 0


def test_new_assessments_get_their_methodology_template(shared_bus) -> None:
    """`assessment.created` -> the methodology's template tasks (desk_review 10, survey 15,
    participatory 20, mixed 26; kii, workshop, observation and other the basic template),
    linked by related_assessment_id, due = planned_start_date + the item's offset."""
    bus = shared_bus
    base = date(2026, 4, 6)
    created = {
        methodology: bus.create_assessment(
            methodology,
            planned_start_date=base,
            planned_end_date=base + timedelta(days=90),
        )
        for methodology in ASSESSMENT_TEMPLATES
    }
    offsets_of = {}
    for name in {template for template, _ in ASSESSMENT_TEMPLATES.values()}:
        response = bus.tasks.get(f"{API}/task-templates/{name}", headers=bus.headers)
        assert response.status_code == 200, response.text
        template = response.json()
        offsets_of[name] = sorted(item["days_from_start"] for item in template["items"])
        assert template["domain"] == "mana"
    for name, offsets in KNOWN_OFFSETS.items():
        assert offsets_of[name] == offsets

    for methodology, assessment in created.items():
        template, count = ASSESSMENT_TEMPLATES[methodology]
        expected = count or len(offsets_of[template])
        tasks = bus.wait_for_tasks(expected, related_assessment_id=assessment["id"])
        assert _offsets(tasks, base) == offsets_of[template], methodology
        for task in tasks:
            assert task["created_from_template"] == template
            assert task["domain"] == "mana"
            assert task["related_ppa_id"] is None
            assert task["related_assessment_id"] == assessment["id"]
    basic = bus.task_list(related_assessment_id=created["kii"]["id"])
    assert any(created["kii"]["title"] in task["title"] for task in basic)
    bus.settled()
    for methodology, assessment in created.items():
        template, count = ASSESSMENT_TEMPLATES[methodology]
        expected = count or len(offsets_of[template])
        assert len(bus.task_list(related_assessment_id=assessment["id"])) == expected


def test_approval_transitions_create_one_review_task_each(shared_bus) -> None:
    """`ppa.approval_changed` into technical_review / budget_review /
    stakeholder_consultation / executive_approval -> exactly one task each, due +5 / +5 /
    +10 / +3 days from the transition, priority high / high / high / critical, domain
    project_central, linked to the PPA. Each review ends with the move out of its stage:
    nobody started it, so it goes, and the PPA's delivery progress is left as it was."""
    bus = shared_bus
    ppa = bus.create_ppa("obc_request", title="Madrasah support")
    stages = [
        ("technical_review", 5, "high", "Technical review of Madrasah support"),
        ("budget_review", 5, "high", "Budget review of Madrasah support"),
        ("stakeholder_consultation", 10, "high", "Stakeholder consultation on Madrasah support"),
        ("executive_approval", 3, "critical", "Executive approval of Madrasah support"),
    ]
    for stage, days, priority, title in stages:
        response = bus.portfolio.post(
            f"{API}/ppas/{ppa['id']}/approval", json={"to": stage}, headers=bus.headers
        )
        assert response.status_code == 200, response.text
        bus.settled()
        [task] = bus.task_list(related_ppa_id=ppa["id"])  # the stage before's is gone
        assert task["title"] == title
        assert task["priority"] == priority
        assert task["domain"] == "project_central"
        assert task["status"] == "not_started"
        assert date.fromisoformat(task["due_date"]) == office_today() + timedelta(days=days)
    # Past executive approval nothing more is generated, and the last review is over too.
    response = bus.portfolio.post(
        f"{API}/ppas/{ppa['id']}/approval", json={"to": "approved"}, headers=bus.headers
    )
    assert response.status_code == 200, response.text
    bus.settled()
    assert bus.task_list(related_ppa_id=ppa["id"]) == []
    assert bus.ppa(ppa["id"])["progress"] == 0


def test_a_decision_ends_the_review_task_without_raising_progress_and_leaves_a_renamed_one(
    shared_bus,
) -> None:
    """A review task nobody started goes with the decision (counted as done it raised a PPA
    sent back to draft to 16 % progress); one being worked on is completed; one renamed
    since is its people's."""
    bus = shared_bus

    def move(ppa_id: str, to: str, note: str = "") -> None:
        response = bus.portfolio.post(
            f"{API}/ppas/{ppa_id}/approval", json={"to": to, "note": note}, headers=bus.headers
        )
        assert response.status_code == 200, response.text

    rejected = bus.create_ppa("obc_request", title="Water system")
    renamed = bus.create_ppa("obc_request", title="Seaweed farming")
    worked = bus.create_ppa("obc_request", title="Fish port")
    for ppa in (rejected, renamed, worked):
        move(ppa["id"], "technical_review")
    [reviewed] = bus.wait_for_tasks(1, related_ppa_id=rejected["id"])
    [kept] = bus.wait_for_tasks(1, related_ppa_id=renamed["id"])
    [started] = bus.wait_for_tasks(1, related_ppa_id=worked["id"])
    bus.settled()
    begun = bus.tasks.patch(
        f"{API}/tasks/{started['id']}", json={"status": "in_progress"}, headers=bus.headers
    )
    assert begun.status_code == 200, begun.text
    retitled = bus.tasks.patch(
        f"{API}/tasks/{kept['id']}",
        json={"title": "Check the seaweed farming costs"},
        headers=bus.headers,
    )
    assert retitled.status_code == 200, retitled.text
    move(rejected["id"], "rejected", "Costs not justified")
    move(renamed["id"], "budget_review")
    move(worked["id"], "budget_review")
    bus.wait_for_tasks(2, related_ppa_id=renamed["id"])
    bus.wait_for_tasks(0, related_ppa_id=rejected["id"])
    bus.settled()
    gone = bus.tasks.get(f"{API}/tasks/{reviewed['id']}", headers=bus.headers)
    assert gone.status_code == 404
    assert bus.ppa(rejected["id"])["progress"] == 0
    assert bus.task(kept["id"])["status"] == "not_started"
    assert bus.task(started["id"])["status"] == "completed"


def test_ppa_progress_follows_its_tasks(shared_bus) -> None:
    """Completing 3 of 10 tasks -> progress 30; reopening one -> 20; deleting an open task
    -> recomputed over the 9 left (2/9 -> 22). Task changes reach the portfolio only as
    task.* events."""
    bus = shared_bus
    ppa = bus.create_ppa("oobc_ppa", start_date=date(2026, 1, 5))
    tasks = bus.wait_for_tasks(10, related_ppa_id=ppa["id"])
    # The projection has seen all ten creations before progress means anything.
    bus.settled()
    for task in tasks[:3]:
        bus.set_task_status(task["id"], "completed")
    bus.wait_for_progress(ppa["id"], 30)

    bus.set_task_status(tasks[0]["id"], "in_progress")
    bus.wait_for_progress(ppa["id"], 20)

    response = bus.tasks.delete(f"{API}/tasks/{tasks[5]['id']}", headers=bus.headers)
    assert response.status_code == 204, response.text
    bus.wait_for_progress(ppa["id"], 22)
    bus.settled()
    assert bus.ppa(ppa["id"])["progress"] == 22


def test_deleting_a_ppa_or_assessment_leaves_no_task_pointing_at_it(shared_bus) -> None:
    """`ppa.deleted` / `assessment.deleted` -> no task still references the record.

    The rule (tasks_service/events.py): auto-generated tasks nobody touched (status still
    not_started) are deleted; every other task (started or completed, or created by hand) is
    kept and unlinked (its related id set to null).
    """
    bus = shared_bus
    ppa = bus.create_ppa("moa_ppa", start_date=date(2026, 2, 2))
    generated = bus.wait_for_tasks(10, related_ppa_id=ppa["id"])
    completed = bus.set_task_status(generated[0]["id"], "completed")
    started = bus.set_task_status(generated[1]["id"], "in_progress")
    response = bus.tasks.post(
        f"{API}/tasks",
        json={"title": "Hand-made follow-up", "related_ppa_id": ppa["id"]},
        headers=bus.headers,
    )
    assert response.status_code == 201, response.text
    manual = response.json()

    assessment = bus.create_assessment("kii", planned_start_date=date(2026, 2, 9))
    assessment_tasks = bus.wait_for_tasks(6, related_assessment_id=assessment["id"])
    touched = bus.set_task_status(assessment_tasks[0]["id"], "at_risk")

    response = bus.portfolio.delete(f"{API}/ppas/{ppa['id']}", headers=bus.headers)
    assert response.status_code == 204, response.text
    response = bus.portfolio.delete(f"{API}/assessments/{assessment['id']}", headers=bus.headers)
    assert response.status_code == 204, response.text

    bus.wait_for_tasks(0, related_ppa_id=ppa["id"])
    bus.wait_for_tasks(0, related_assessment_id=assessment["id"])
    bus.settled()
    kept = {task["id"]: task for task in bus.task_list()}
    for task in (completed, started, manual, touched):
        assert task["id"] in kept, task["title"]
        assert kept[task["id"]]["related_ppa_id"] is None
        assert kept[task["id"]]["related_assessment_id"] is None
    untouched = [t["id"] for t in generated[2:]] + [t["id"] for t in assessment_tasks[1:]]
    assert not set(untouched) & set(kept)


def test_updates_generate_nothing_more(shared_bus) -> None:
    """Updating a PPA or an assessment many times creates no further tasks, and the
    progress updates that task events cause emit no events (no loop)."""
    bus = shared_bus
    ppa = bus.create_ppa("oobc_ppa", start_date=date(2026, 5, 4))
    assessment = bus.create_assessment("survey", planned_start_date=date(2026, 5, 4))
    tasks = bus.wait_for_tasks(10, related_ppa_id=ppa["id"])
    bus.wait_for_tasks(15, related_assessment_id=assessment["id"])
    bus.set_task_status(tasks[0]["id"], "completed")
    updates = 8
    for number in range(updates):
        response = bus.portfolio.patch(
            f"{API}/ppas/{ppa['id']}",
            json={"summary": f"revision {number}", "start_date": f"2026-05-{number + 10:02d}"},
            headers=bus.headers,
        )
        assert response.status_code == 200, response.text
        response = bus.portfolio.patch(
            f"{API}/assessments/{assessment['id']}",
            json={"description": f"revision {number}"},
            headers=bus.headers,
        )
        assert response.status_code == 200, response.text
    bus.wait_for_progress(ppa["id"], 10)
    bus.settled()
    assert len(bus.task_list(related_ppa_id=ppa["id"])) == 10
    assert len(bus.task_list(related_assessment_id=assessment["id"])) == 15
    generations = bus.scalar(
        "tasks",
        "SELECT count(*) FROM template_generations WHERE subject_id IN (:ppa, :assessment)",
        ppa=ppa["id"],
        assessment=assessment["id"],
    )
    assert generations == 2
    # Only the API's own changes were announced: progress updates emit nothing.
    announced = bus.rows(
        "portfolio",
        "SELECT event_type, count(*) FROM bus_outbox WHERE payload->>'subject_id' = :ppa"
        " GROUP BY event_type ORDER BY event_type",
        ppa=ppa["id"],
    )
    assert [tuple(row) for row in announced] == [("ppa.created", 1), ("ppa.updated", updates)]


pytestmark = pytest.mark.slow


def test_a_ppas_tasks_are_worked_by_its_owners_and_its_progress_cannot_be_faked(
    shared_bus,
) -> None:
    """The tasks service learns a PPA's owners from ppa.created / ppa.updated: its owners
    complete the generated tasks (progress moves); another staff member may neither complete
    them nor link a task of their own to the PPA, until the PPA's owners add them."""
    bus = shared_bus
    owner, colleague = make_caller(Role.STAFF), make_caller(Role.STAFF)
    created = bus.portfolio.post(
        f"{API}/ppas",
        json={"title": "Owned PPA", "category": "oobc_ppa", "start_date": "2026-05-04"},
        headers=owner.headers,
    )
    assert created.status_code == 201, created.text
    ppa = created.json()
    tasks = bus.wait_for_tasks(10, related_ppa_id=ppa["id"])
    first, second = tasks[0]["id"], tasks[1]["id"]

    def complete(caller, task_id: str):
        return bus.tasks.patch(
            f"{API}/tasks/{task_id}", json={"status": "completed"}, headers=caller.headers
        )

    refused = complete(colleague, first)
    assert refused.status_code == 403, refused.text
    linked = bus.tasks.post(
        f"{API}/tasks",
        json={"title": "Mine", "related_ppa_id": ppa["id"], "status": "completed"},
        headers=colleague.headers,
    )
    assert linked.status_code == 403, linked.text
    assert complete(owner, first).status_code == 200
    bus.wait_for_progress(ppa["id"], 10)

    # The owner adds the colleague to the PPA's team: the tasks service hears of it.
    added = bus.portfolio.patch(
        f"{API}/ppas/{ppa['id']}",
        json={"member_ids": [str(colleague.user_id)]},
        headers=owner.headers,
    )
    assert added.status_code == 200, added.text
    bus.wait_until(
        lambda: complete(colleague, second).status_code == 200,
        message="the colleague may work the PPA's tasks once a member",
    )
    bus.wait_for_progress(ppa["id"], 20)


def test_announcing_every_ppa_anew_gives_the_tasks_service_their_titles(shared_bus) -> None:
    """On an installation upgraded from before the tasks service kept PPA titles,
    `obcms-portfolio ppas announce` gives it every PPA's title (new events: its inbox skips
    the old ones). A PPA changed after the announcement keeps its change, even when the
    announcement arrives after it; announcing again changes nothing."""
    bus = shared_bus
    untouched = bus.create_ppa("obc_request", title="Water system for Barangay Tuka")
    changed = bus.create_ppa("obc_request", title="Madrasah classrooms")

    def title(ppa: dict[str, Any]) -> str | None:
        return bus.scalar("tasks", "SELECT title FROM ppa_owners WHERE ppa_id = :id", id=ppa["id"])

    def owners(ppa: dict[str, Any]) -> list[Any]:
        return bus.scalar(
            "tasks", "SELECT owner_ids FROM ppa_owners WHERE ppa_id = :id", id=ppa["id"]
        )

    bus.wait_until(lambda: title(untouched) and title(changed), message="the PPAs announced")
    known_owners = owners(untouched)
    # As the release before titles left them: owners known, no title.
    with bus.engines["tasks"].begin() as connection:
        connection.execute(
            text("UPDATE ppa_owners SET title = NULL WHERE ppa_id IN (:one, :other)"),
            {"one": untouched["id"], "other": changed["id"]},
        )

    bus.stop("relay")
    try:
        announced = bus.cli("portfolio", "ppas", "announce")
        assert "announced" in announced.stdout
        with bus.engines["portfolio"].connect() as holder:
            # The relay skips a locked outbox row: the changed PPA's announcement waits.
            held = holder.execute(
                text(
                    "SELECT id FROM bus_outbox WHERE published_at IS NULL"
                    " AND event_type = 'ppa.updated' AND payload->>'subject_id' = :id"
                    " FOR UPDATE"
                ),
                {"id": changed["id"]},
            ).all()
            assert len(held) == 1
            bus.start("relay")
            bus.wait_ready("relay")
            retitled = bus.portfolio.patch(
                f"{API}/ppas/{changed['id']}",
                json={"title": "Madrasah classrooms and library"},
                headers=bus.headers,
            )
            assert retitled.status_code == 200, retitled.text
            bus.wait_until(
                lambda: title(changed) == "Madrasah classrooms and library",
                message="the change after the announcement",
            )
            assert title(untouched) == "Water system for Barangay Tuka"
            holder.rollback()
        with bus.engines["portfolio"].begin() as connection:
            connection.execute(text("SELECT pg_notify('obcms_outbox', '')"))  # wake the relay
        bus.settled()  # the held announcement arrived, late
        assert bus.scalar(
            "tasks", "SELECT count(*) FROM bus_inbox WHERE event_id = :id", id=held[0].id
        )
    finally:
        if "relay" not in bus.processes.running:
            bus.start("relay")
            bus.wait_ready("relay")
    assert title(changed) == "Madrasah classrooms and library"

    bus.cli("portfolio", "ppas", "announce")
    bus.settled()
    assert title(untouched) == "Water system for Barangay Tuka"
    assert title(changed) == "Madrasah classrooms and library"
    assert owners(untouched) == known_owners
    assert bus.task_list(related_ppa_id=untouched["id"]) == []
