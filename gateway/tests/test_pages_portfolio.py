"""Portfolio pages against the real tasks and portfolio services: dashboard, PPA list /
create / detail (milestones, workflow, approval, funding, needs, tasks), assessments, needs:
their edit forms (If-Match, "changed by …"), deletions asked first, links one at a time."""

from __future__ import annotations

import html
import io
import json
import re
import uuid
from datetime import date, timedelta
from typing import Any

import httpx
import pytest
from gateway_helpers import (
    ADMIN_PASSWORD,
    USER_PASSWORD,
    create_user,
    signed_in,
    submit,
    token_for,
    visible_text,
)
from pypdf import PdfReader

from obcms_platform.approval import FROZEN_FIELDS
from obcms_platform.zones import office_today

PPAS = "/oobc-management/portfolio/ppas/"
DASHBOARD = "/oobc-management/portfolio/"
ASSESSMENTS = "/oobc-management/portfolio/assessments/"
NEEDS = "/oobc-management/portfolio/needs/"


def _marker() -> str:
    return uuid.uuid4().hex[:8]


def _created_id(response: httpx.Response, prefix: str) -> str:
    assert response.status_code == 303, response.text
    location = response.headers["location"]
    match = re.fullmatch(re.escape(prefix) + r"([0-9a-f-]{36})/(\?saved=created)?", location)
    assert match, location
    return match.group(1)


def _create_ppa(client: httpx.Client, title: str, **fields: str) -> str:
    data = {"title": title, "category": "moa_ppa", "sector": "social", **fields}
    return _created_id(submit(client, PPAS + "create/", data), PPAS)


def test_pages_need_a_login_and_forms_need_csrf(make_client):
    anonymous = make_client()
    for path in (DASHBOARD, PPAS, f"{PPAS}{uuid.uuid4()}/", ASSESSMENTS, NEEDS):
        response = anonymous.get(path)
        assert response.status_code == 303, path
        assert response.headers["location"].startswith("/accounts/login/?next=")
    client = signed_in(make_client(), "admin", ADMIN_PASSWORD)
    refused = client.post(PPAS + "create/", data={"title": "No token", "category": "moa_ppa"})
    assert refused.status_code == 403
    assert "No PPAs match." in client.get(PPAS, params={"q": "No token"}).text


def test_ppa_create_list_filters_and_form_errors(make_client):
    client = signed_in(make_client(), "admin", ADMIN_PASSWORD)
    marker = _marker()
    social = _create_ppa(client, f"Water {marker}", fiscal_year="2031", budget_allocation="1000")
    _create_ppa(client, f"Road {marker}", category="oobc_ppa", sector="infrastructure")
    detail = client.get(f"{PPAS}{social}/")
    assert detail.status_code == 200
    assert f"Water {marker}" in detail.text
    listing = client.get(PPAS, params={"q": marker})
    assert listing.status_code == 200
    assert f"Water {marker}" in listing.text
    assert f"Road {marker}" in listing.text
    filtered = client.get(PPAS, params={"q": marker, "sector": "social", "fiscal_year": "2031"})
    assert f"Water {marker}" in filtered.text
    assert f"Road {marker}" not in filtered.text
    by_category = client.get(PPAS, params={"q": marker, "category": "oobc_ppa"})
    assert f"Road {marker}" in by_category.text
    assert f"Water {marker}" not in by_category.text

    invalid = submit(
        client,
        PPAS + "create/",
        {"title": f"Bad {marker}", "category": "moa_ppa", "fiscal_year": "soon"},
    )
    assert invalid.status_code == 422
    assert "fiscal_year" in invalid.text
    assert f'value="Bad {marker}"' in invalid.text  # the form keeps what was typed
    bad_filter = client.get(PPAS, params={"fiscal_year": "1"})
    assert bad_filter.status_code == 422
    assert "fiscal_year" in bad_filter.text


def test_ppa_detail_milestones_workflow_funding_and_edit(make_client):
    client = signed_in(make_client(), "admin", ADMIN_PASSWORD)
    marker = _marker()
    ppa = _create_ppa(client, f"Clinic {marker}", budget_allocation="1000")
    page = f"{PPAS}{ppa}/"

    added = submit(
        client, page + "milestones/", {"title": f"Groundwork {marker}", "date": "2031-02-01"}
    )
    assert added.status_code == 303
    detail = client.get(page)
    assert f"Groundwork {marker}" in detail.text
    milestone = re.search(rf'action="{re.escape(page)}milestones/([0-9a-f-]{{36}})/"', detail.text)
    assert milestone
    updated = submit(client, f"{page}milestones/{milestone.group(1)}/", {"status": "delayed"})
    assert updated.status_code == 303
    assert "badge-delayed" in client.get(page).text
    missing_date = submit(client, page + "milestones/", {"title": "No date"})
    assert missing_date.status_code == 422
    assert "date" in missing_date.text

    early = submit(client, page + "workflow/formulation/", {"status": "completed"})
    assert early.status_code == 409
    assert re.search(r'role="alert">\s*<p>[^<]*cannot be completed before', early.text)
    assert (
        submit(client, page + "workflow/budget_call/", {"status": "completed"}).status_code == 303
    )
    assert (
        submit(client, page + "workflow/formulation/", {"status": "completed"}).status_code == 303
    )

    tranche = submit(
        client,
        page + "funding/",
        {"tranche_type": "allocation", "amount": "800", "date": "2026-01-10"},
    )
    assert tranche.status_code == 303
    submit(
        client,
        page + "funding/",
        {"tranche_type": "obligation", "amount": "400", "date": "2026-01-20"},
    )
    funding = client.get(page).text
    assert "800.00" in funding
    assert "50.0 %" in funding  # obligation rate 400 / 800
    negative = submit(
        client,
        page + "funding/",
        {"tranche_type": "obligation", "amount": "-5", "date": "2026-01-20"},
    )
    assert negative.status_code == 422
    assert "amount" in negative.text

    edited = submit(
        client,
        page + "edit/",
        {
            "title": f"Clinic {marker} v2",
            "category": "moa_ppa",
            "status": "ongoing",
            "priority": "high",
            "sector": "",
            "budget_currency": "PHP",
        },
    )
    assert edited.status_code == 303
    after = client.get(page).text
    assert f"Clinic {marker} v2" in after
    assert "badge-ongoing" in after
    bad_edit = submit(
        client, page + "edit/", {"title": "x", "category": "moa_ppa", "budget_currency": "pesos"}
    )
    assert bad_edit.status_code == 422
    assert "budget_currency" in bad_edit.text


def test_a_milestones_row_changes_its_date_with_the_version_it_was_shown_at(
    make_client, admin_headers
):
    client = signed_in(make_client(), "admin", ADMIN_PASSWORD)
    marker = _marker()
    page = f"{PPAS}{_create_ppa(client, f'Dam {marker}')}/"
    submit(client, page + "milestones/", {"title": f"Survey {marker}", "date": "2031-02-01"})
    row = re.search(
        rf'action="{re.escape(page)}milestones/([0-9a-f-]{{36}})/".*?'
        r'name="version" value="(\d+)".*?name="date" value="2031-02-01"',
        client.get(page).text,
        re.S,
    )
    assert row
    milestone, version = row.groups()
    action = f"{page}milestones/{milestone}/"

    moved = submit(client, action, {"version": version, "date": "2031-03-15", "status": "planned"})
    assert moved.status_code == 303
    detail = client.get(page).text
    assert "Sat 15 Mar 2031" in detail
    assert 'name="date" value="2031-03-15"' in detail

    # The version shown before that move is stale now: refused, the date kept.
    stale = submit(client, action, {"version": version, "date": "2031-04-01"})
    assert stale.status_code == 412
    assert "changed" in stale.text
    emptied = submit(client, action, {"version": str(int(version) + 1), "date": ""})
    assert emptied.status_code == 422
    assert "Give the milestone date" in emptied.text
    bad = submit(client, action, {"version": str(int(version) + 1), "date": "15/03/2031"})
    assert bad.status_code == 422
    staff_user = create_user(make_client(), admin_headers, "staff")
    staff = signed_in(make_client(), staff_user["username"])
    refused = submit(staff, action, {"version": str(int(version) + 1), "date": "2031-05-01"})
    assert refused.status_code == 403
    stored = make_client().get(
        f"/api/v1/ppas/{page.split('/')[-2]}/milestones", headers=admin_headers
    )
    assert [each["date"] for each in stored.json()] == ["2031-03-15"]


def test_approval_moves_by_role_with_history(make_client, admin_headers):
    admin = signed_in(make_client(), "admin", ADMIN_PASSWORD)
    marker = _marker()
    ppa = _create_ppa(admin, f"Bridge {marker}")
    page = f"{PPAS}{ppa}/"
    assert 'value="technical_review"' in admin.get(page).text  # the move offered

    staff_user = create_user(make_client(), admin_headers, "staff")
    staff = signed_in(make_client(), staff_user["username"])
    staff_page = staff.get(page)
    assert staff_page.status_code == 200
    assert "Approval moves need the manager role" in staff_page.text
    refused = submit(staff, page + "approval/", {"to": "technical_review"})
    assert refused.status_code == 403
    assert "manager role" in refused.text
    refused_funding = submit(
        staff,
        page + "funding/",
        {"tranche_type": "allocation", "amount": "5", "date": "2026-01-01"},
    )
    assert refused_funding.status_code == 403

    moved = submit(
        admin, page + "approval/", {"to": "technical_review", "note": f"looks fine {marker}"}
    )
    assert moved.status_code == 303
    history = admin.get(page).text
    assert f"looks fine {marker}" in history
    assert "badge-technical_review" in history
    # The activity stream: the move with its note as the reason; the refused ones left nothing.
    stream = history[history.index('id="activity"') :]
    assert stream.count("</strong> changed ·") == 1
    assert stream.count("</strong> created it ·") == 1
    assert "<strong>Administrator</strong> changed" in stream
    assert f"(looks fine {marker})" in stream
    assert "Approval status: <del>Draft</del> → <ins>Technical review</ins>" in stream
    wrong = submit(admin, page + "approval/", {"to": "enacted"})
    assert wrong.status_code == 409
    assert "cannot move to enacted" in wrong.text

    for stage in ("budget_review", "executive_approval", "approved"):
        assert submit(admin, page + "approval/", {"to": stage}).status_code == 303, stage
    approved = admin.get(page).text
    # The portfolio service's own rules: an admin may enact or undo the approval.
    assert 'value="enacted"' in approved
    assert 'value="draft"' in approved
    manager_user = create_user(make_client(), admin_headers, "manager")
    manager_page = signed_in(make_client(), manager_user["username"]).get(page).text
    assert 'value="enacted"' not in manager_page
    assert 'value="draft"' not in manager_page


def test_rejecting_a_ppa_on_its_page_asks_the_reason_beside_the_note(make_client):
    admin = signed_in(make_client(), "admin", ADMIN_PASSWORD)
    ppa = _create_ppa(admin, f"Jetty {_marker()}")
    page = f"{PPAS}{ppa}/"
    assert submit(admin, page + "approval/", {"to": "technical_review"}).status_code == 303

    refused = submit(admin, page + "approval/", {"to": "rejected", "note": " "})
    assert refused.status_code == 422
    section = refused.text[refused.text.index('id="approval"') :]
    assert "Please correct the field marked below." in section
    assert re.search(r'name="note"[^>]*aria-invalid="true"', section)
    beside = re.search(r'class="field-error" id="f-note-error">([^<]*)<', section)
    assert beside, section
    assert html.unescape(beside.group(1)) == (
        "Note: give the reason for rejecting it, the PPA's owners read it"
    )
    assert '<option value="rejected" selected>' in section  # what was chosen is kept
    assert "badge-technical_review" in admin.get(page).text  # nothing moved

    moved = submit(admin, page + "approval/", {"to": "rejected", "note": "Outside the mandate"})
    assert moved.status_code == 303
    assert "Outside the mandate" in admin.get(page).text


def test_a_ppa_without_tasks_says_so_instead_of_0_percent(make_client, admin_headers):
    """A completed PPA with no tasks linked read "0.0 % from tasks" everywhere: it reads as
    complete, and an open one without tasks says none are linked; the brief says the same."""
    client = signed_in(make_client(), "admin", ADMIN_PASSWORD)
    marker = _marker()
    api = make_client()
    ids = {}
    for title, status in ((f"Scholarships {marker}", "completed"), (f"Clinics {marker}", "")):
        body = {"title": title, "category": "oobc_ppa"} | ({"status": status} if status else {})
        response = api.post("/api/v1/ppas", json=body, headers=admin_headers)
        assert response.status_code == 201, response.text
        ids[title.split()[0]] = response.json()["id"]
    listed = visible_text(client.get(PPAS, params={"q": marker}).text)
    assert f"Scholarships {marker} OOBC PPA Completed" in listed
    assert "✓ Complete, no tasks linked" in listed
    assert "No tasks linked" in listed[listed.index(f"Clinics {marker}") :]
    assert "0.0 %" not in listed
    page = visible_text(client.get(f"{PPAS}{ids['Scholarships']}/").text)
    assert "Progress ✓ Complete, no tasks linked" in page
    assert "linked tasks completed" not in page
    brief = client.get(f"{PPAS}{ids['Clinics']}/brief.pdf")
    text = " ".join(
        " ".join(page.extract_text() for page in PdfReader(io.BytesIO(brief.content)).pages).split()
    )
    assert "Progress No tasks linked" in text
    # Nor do they pull the dashboard's average progress down (nothing else has tasks here:
    # no worker keeps the portfolio's projection of them in these tests).
    board = visible_text(client.get(DASHBOARD).text)
    assert "— average progress from tasks: no PPA has tasks linked" in board


def test_ppa_tasks_needs_and_progress(make_client, admin_headers):
    client = signed_in(make_client(), "admin", ADMIN_PASSWORD)
    marker = _marker()
    ppa = _create_ppa(client, f"School {marker}")
    api = make_client()
    for title, status in ((f"Plan {marker}", "completed"), (f"Build {marker}", "in_progress")):
        response = api.post(
            "/api/v1/tasks",
            json={"title": title, "status": status, "related_ppa_id": ppa},
            headers=admin_headers,
        )
        assert response.status_code == 201, response.text
    detail = client.get(f"{PPAS}{ppa}/").text
    assert f"Plan {marker}" in detail
    assert f"Build {marker}" in detail
    assert "1 of 2 linked tasks completed" in detail
    # Its timeline's table says a missing date as every page does (it said "none").
    timeline = client.get(f"{PPAS}{ppa}/timeline/").text
    assert re.search(r'data-date-field="start_date">\s*—\s*</td>', timeline)
    assert ">none<" not in timeline

    # Saving it Completed with a task open asks first; no shows the form as typed, yes saves.
    late = {"title": f"Paint {marker}", "due_date": "2020-01-06", "related_ppa_id": ppa}
    assert api.post("/api/v1/tasks", json=late, headers=admin_headers).status_code == 201
    done = {**_edit_form(client.get(f"{PPAS}{ppa}/edit/").text), "status": "completed"}
    asked = submit(client, f"{PPAS}{ppa}/edit/", {**done, "challenges": f"Rain {marker}"})
    assert asked.status_code == 200
    assert f"Mark “School {marker}” completed?" in asked.text
    assert "2 of its tasks are still open (1 overdue): they stay open and assigned." in asked.text
    assert f'href="/oobc-management/staff/tasks/?related_ppa_id={ppa}"' in asked.text
    assert api.get(f"/api/v1/ppas/{ppa}", headers=admin_headers).json()["status"] == "planning"
    hidden = re.findall(r'type="hidden" name="([^"]+)" value="([^"]*)"', asked.text)
    kept = {name: html.unescape(value) for name, value in hidden}
    assert json.loads(kept["read_state"])["status"] == "planning"  # the edit's, kept
    back = submit(client, f"{PPAS}{ppa}/edit/", {**kept, "confirmed": "no"})
    assert back.status_code == 200
    assert '<option value="completed" selected>' in back.text
    assert f"Rain {marker}</textarea>" in back.text
    confirmed = submit(client, f"{PPAS}{ppa}/edit/", {**kept, "confirmed": "yes"})
    assert confirmed.status_code == 303, confirmed.text
    stored = api.get(f"/api/v1/ppas/{ppa}", headers=admin_headers).json()
    assert (stored["status"], stored["challenges"]) == ("completed", f"Rain {marker}")

    need = _created_id(
        submit(
            client, NEEDS + "create/", {"title": f"Classrooms {marker}", "impact_severity": "4"}
        ),
        NEEDS,
    )
    need_page = client.get(f"{NEEDS}{need}/")
    assert need_page.status_code == 200
    assert f"School {marker}" in need_page.text  # offered in the picker
    linked = submit(client, f"{NEEDS}{need}/ppas/", {"ppa_id": ppa})
    assert linked.status_code == 303
    assert f'href="{PPAS}{ppa}/">School {marker}' in client.get(f"{NEEDS}{need}/").text
    assert f"Classrooms {marker}" in client.get(f"{PPAS}{ppa}/").text
    bad_link = submit(client, f"{NEEDS}{need}/ppas/", {"ppa_id": "not-an-id"})
    assert bad_link.status_code == 422
    assert "Choose a PPA from the list" in bad_link.text

    invalid = submit(
        client, NEEDS + "create/", {"title": f"Too severe {marker}", "impact_severity": "9"}
    )
    assert invalid.status_code == 422
    assert "impact_severity" in invalid.text
    listing = client.get(NEEDS, params={"q": marker})
    assert listing.status_code == 200
    assert f"Classrooms {marker}" in listing.text


def test_assessments_list_create_detail_with_tasks(make_client, admin_headers):
    client = signed_in(make_client(), "admin", ADMIN_PASSWORD)
    marker = _marker()
    created = submit(
        client,
        ASSESSMENTS + "create/",
        {
            "title": f"Survey {marker}",
            "primary_methodology": "survey",
            "assessment_level": "barangay",
            "planned_start_date": "2031-03-01",
        },
    )
    assessment = _created_id(created, ASSESSMENTS)
    task = make_client().post(
        "/api/v1/tasks",
        json={"title": f"Design questionnaire {marker}", "related_assessment_id": assessment},
        headers=admin_headers,
    )
    assert task.status_code == 201, task.text
    detail = client.get(f"{ASSESSMENTS}{assessment}/")
    assert detail.status_code == 200
    assert f"Survey {marker}" in detail.text
    assert f"Design questionnaire {marker}" in detail.text
    listing = client.get(ASSESSMENTS, params={"q": marker})
    assert f"Survey {marker}" in listing.text
    invalid = submit(
        client,
        ASSESSMENTS + "create/",
        {"title": "No method", "primary_methodology": "guessing", "assessment_level": "barangay"},
    )
    assert invalid.status_code == 422
    assert "primary_methodology" in invalid.text


def test_the_dashboard_counts_ppas_over_budget_and_the_list_shows_their_money(
    make_client, admin_headers
):
    """PPAs over budget could not be found: the dashboard counts those counted against a
    budget ceiling that is over (a soft one let them through), next to "behind schedule",
    linking to the list filtered to them, whose money columns sort."""
    client = signed_in(make_client(), "admin", ADMIN_PASSWORD)
    api = make_client()
    # A year of its own: one active environment ceiling per year.
    marker, year = _marker(), 2040 + uuid.uuid4().int % 60
    ceiling = {"sector": "environment", "fiscal_year": year, "enforcement": "soft"}
    created = api.post(
        "/api/v1/budget-ceilings", json=ceiling | {"amount": 1_000_000}, headers=admin_headers
    )
    assert created.status_code == 201, created.text
    ids = []
    for title, allocation in (("Mangroves", 900_000), ("Seawall", 300_000)):
        body = {"title": f"{title} {marker}", "category": "oobc_ppa", "sector": "environment"}
        ppa = api.post(
            "/api/v1/ppas",
            json=body | {"fiscal_year": year, "budget_allocation": allocation},
            headers=admin_headers,
        ).json()
        for stage in ("technical_review", "budget_review"):
            moved = api.post(
                f"/api/v1/ppas/{ppa['id']}/approval", json={"to": stage}, headers=admin_headers
            )
            assert moved.status_code == 200, moved.text
        ids.append(ppa["id"])
    for kind, amount in (("allocation", "900000"), ("obligation", "450000")):
        tranche = {"tranche_type": kind, "amount": amount, "date": "2026-01-05"}
        assert submit(client, f"{PPAS}{ids[0]}/funding/", tranche).status_code == 303

    board = client.get(DASHBOARD, params={"fiscal_year": year}).text
    tiles = visible_text(board[board.index('class="kpis"') : board.index('id="budget"')])
    assert "at risk (behind schedule) ⚠ 2 over budget or ceiling" in tiles
    link = re.search(r'href="(/oobc-management/portfolio/ppas/\?[^"]*over_budget=true)"', board)
    assert link, board
    listed = client.get(html.unescape(link.group(1))).text
    assert 'name="over_budget" value="true" checked' in listed
    rows = visible_text(listed[listed.index("<tbody>") :])
    assert f"Mangroves {marker}" in rows
    assert f"Seawall {marker}" in rows
    # Budget (and allocated under it), obligated, disbursed.
    assert "₱900,000.00 ₱900,000.00 allocated ₱450,000.00 ₱0.00" in rows
    by_obligated = client.get(PPAS, params={"over_budget": "true", "sort": "-obligated_total"})
    assert 'aria-sort="descending"' in by_obligated.text
    first_row = by_obligated.text[by_obligated.text.index("<tbody>") :]
    assert first_row.index(f"Mangroves {marker}") < first_row.index(f"Seawall {marker}")


def test_dashboard_and_unknown_records(make_client):
    client = signed_in(make_client(), "admin", ADMIN_PASSWORD)
    marker = _marker()
    soon = (date.today() + timedelta(days=5)).isoformat()
    ppa = _create_ppa(client, f"Dashboard {marker}", fiscal_year="2032", budget_allocation="500")
    submit(client, f"{PPAS}{ppa}/milestones/", {"title": f"Kick-off {marker}", "date": soon})
    dashboard = client.get(DASHBOARD, params={"fiscal_year": "2032"})
    assert dashboard.status_code == 200
    assert "PPAs in FY 2032" in dashboard.text
    assert "By sector" in dashboard.text
    assert "Obligation rate" in dashboard.text
    assert "average progress from tasks" in dashboard.text  # not the figures reported
    # Its milestones say their window (a milestone further off is not "upcoming" there).
    milestones = dashboard.text[dashboard.text.index('id="milestones"') :]
    assert "<h2>Upcoming milestones in the next 30 days</h2>" in milestones
    assert f"Kick-off {marker}" in milestones
    whole = client.get(DASHBOARD)
    assert whole.status_code == 200
    assert "needs addressed" in whole.text
    # Every breakdown's link opens the PPA list it names (PPAs without a sector are counted
    # under "Unspecified", which no list filter selects: shown, not a link).
    links = set(re.findall(r'href="(/oobc-management/portfolio/ppas/\?[^"]+)"', whole.text))
    assert any("sector=" in link for link in links)
    assert any(link.endswith("at_risk=true") for link in links)  # which PPAs are behind
    for link in links:
        assert client.get(link.replace("&amp;", "&")).status_code == 200, link
    assert "<th>Unspecified</th>" in whole.text
    invalid = client.get(DASHBOARD, params={"fiscal_year": "12"})
    assert invalid.status_code == 422
    assert "fiscal_year" in invalid.text
    # A refusal names the input as the page labels it ("Stale days", "Sdg" before).
    for params, said in (
        ({"stale_days": "0"}, "Days without an update: must be at least 1"),
        ({"sdg": "99"}, "Sustainable Development Goal: must be at most 17"),
    ):
        refused = client.get(DASHBOARD, params=params)
        assert refused.status_code == 422
        assert said in refused.text, refused.text

    for path, says in (
        (f"{PPAS}{uuid.uuid4()}/", "This PPA is not here any more"),
        (f"{PPAS}not-a-uuid/", "Not found"),
        (f"{ASSESSMENTS}{uuid.uuid4()}/", "This assessment is not here any more"),
        (f"{NEEDS}{uuid.uuid4()}/", "This need is not here any more"),
    ):
        missing = client.get(path)
        assert missing.status_code == 404, path
        assert says in missing.text, path
    gone = submit(client, f"{PPAS}{uuid.uuid4()}/milestones/", {"title": "x", "date": "2031-01-01"})
    assert gone.status_code == 404


# -- forms that help (issue 15) --------------------------------------------------------------


def _field_error(page: str, name: str) -> str:
    """The error shown beside input `name` (the span its aria-describedby names)."""
    assert re.search(rf'name="{name}"[^>]*aria-invalid="true"', page), name
    found = re.search(rf'id="f-{name}-error">([^<]*)<', page)
    assert found, name
    return found.group(1)


def test_ppa_form_shows_every_error_beside_its_field_and_reads_amounts(make_client):
    client = signed_in(make_client(), "admin", ADMIN_PASSWORD)
    marker = _marker()
    assert 'href="/oobc-management/portfolio/ppas/new/"' in client.get(PPAS).text
    assert 'action="/oobc-management/portfolio/ppas/create/"' not in client.get(PPAS).text
    new_form = client.get(PPAS + "new/")
    assert new_form.status_code == 200
    assert 'name="lead_id"' in new_form.text
    assert "data-people-picker" in new_form.text

    refused = submit(
        client,
        PPAS + "create/",
        {
            "title": f"Two errors {marker}",
            "category": "moa_ppa",
            "fiscal_year": "27",
            "budget_allocation": "lots",
            "start_date": "2031-03-10",
            "target_end_date": "2031-03-01",
        },
    )
    assert refused.status_code == 422
    assert "fiscal year" in _field_error(refused.text, "fiscal_year").lower()
    assert _field_error(refused.text, "budget_allocation") == (
        "Budget allocation must be a number, e.g. 1,500,000"
    )
    # The service's rule on the dates' order shows in the same round.
    assert _field_error(refused.text, "target_end_date") == (
        "Target end date must not be before the start date"
    )
    assert "Please correct the 3 fields marked below." in refused.text
    assert f'value="Two errors {marker}"' in refused.text
    # "1e6" is a slip for "1,000,000", not a number people write: refused, not read as 1,000,000.
    slipped = submit(
        client,
        PPAS + "create/",
        {"title": f"Slip {marker}", "category": "moa_ppa", "budget_allocation": "1e6"},
    )
    assert slipped.status_code == 422
    assert _field_error(slipped.text, "budget_allocation") == (
        "Budget allocation must be a number, e.g. 1,500,000"
    )
    assert "No PPAs match." in client.get(PPAS, params={"q": marker}).text  # nothing created

    lead = client.get("/oobc-management/people.json", params={"q": "admin"}).json()[0]
    created = submit(
        client,
        PPAS + "create/",
        {
            "title": f"Separators {marker}",
            "category": "moa_ppa",
            "fiscal_year": "2027",
            "budget_allocation": "1,500,000",
            "lead_id": lead["id"],
        },
    )
    ppa = _created_id(created, PPAS)
    page = client.get(created.headers["location"]).text
    assert "PPA created" in page
    assert "₱1,500,000.00" in page
    # The list's Budget column writes money as every page does.
    listed = client.get(PPAS, params={"q": marker}).text
    assert "₱1,500,000.00" in listed[listed.index(f"Separators {marker}") :]
    assert lead["name"] in page
    # Edited again, the amount reads as it was typed, not as JSON has it (1500000.0).
    assert (
        'name="budget_allocation" type="text" value="1,500,000.00"'
        in client.get(f"{PPAS}{ppa}/edit/").text
    )
    for anchor in ("#summary", "#funding", "#milestones", "#workflow", "#approval", "#tasks"):
        assert f'href="{anchor}"' in page, anchor
    assert ppa in page


def test_stale_ppa_edit_keeps_what_was_typed(make_client, admin_headers):
    client = signed_in(make_client(), "admin", ADMIN_PASSWORD)
    marker = _marker()
    ppa = _create_ppa(client, f"Stale {marker}")
    form = client.get(f"{PPAS}{ppa}/edit/").text
    version = re.search(r'name="version" value="(\d+)"', form)
    assert version
    other = make_client().patch(
        f"/api/v1/ppas/{ppa}", json={"priority": "urgent"}, headers=admin_headers
    )
    assert other.status_code == 200, other.text
    stale = submit(
        client,
        f"{PPAS}{ppa}/edit/",
        {
            "version": version.group(1),
            "title": f"Mine {marker}",
            "category": "moa_ppa",
            "budget_currency": "PHP",
        },
    )
    assert stale.status_code == 412
    assert "This PPA was changed by Administrator since you opened it" in stale.text
    assert f'value="Mine {marker}"' in stale.text
    assert f'href="{PPAS}{ppa}/"' in stale.text  # the way to review their change
    api_view = make_client().get(f"/api/v1/ppas/{ppa}", headers=admin_headers).json()
    assert api_view["title"] == f"Stale {marker}"
    assert api_view["priority"] == "urgent"


def _edit_form(page: str) -> dict[str, str]:
    """What a browser sends from an edit form left as it is: its version, the values it was
    opened with and every single-valued input as shown."""
    version = re.search(r'name="version" value="(\d+)"', page)
    read = re.search(r'name="read_state" value="([^"]*)"', page)
    assert version
    assert read
    state = html.unescape(read.group(1))
    shown = {name: value for name, value in json.loads(state).items() if isinstance(value, str)}
    return {**shown, "version": version.group(1), "read_state": state}


def test_a_stale_save_keeps_the_colleagues_change_where_i_changed_nothing(
    make_client, admin_headers
):
    """Two people edit one PPA: a colleague saves its MOA reference, I save its challenges.
    Mine is refused as stale; the form then shows their MOA reference, not the empty one I
    opened, and saving again keeps both (it wiped theirs)."""
    client = signed_in(make_client(), "admin", ADMIN_PASSWORD)
    ppa = _create_ppa(client, f"Road {_marker()}")
    mine = _edit_form(client.get(f"{PPAS}{ppa}/edit/").text)
    colleague = make_client().patch(
        f"/api/v1/ppas/{ppa}", json={"moa_reference": "MOA-2026-031"}, headers=admin_headers
    )
    assert colleague.status_code == 200, colleague.text
    stale = submit(client, f"{PPAS}{ppa}/edit/", {**mine, "challenges": "Right of way"})
    assert stale.status_code == 412
    assert 'name="moa_reference" type="text" value="MOA-2026-031"' in stale.text
    assert "Right of way" in stale.text
    again = submit(
        client, f"{PPAS}{ppa}/edit/", {**_edit_form(stale.text), "challenges": "Right of way"}
    )
    assert again.status_code == 303, again.text
    stored = make_client().get(f"/api/v1/ppas/{ppa}", headers=admin_headers).json()
    assert (stored["moa_reference"], stored["challenges"]) == ("MOA-2026-031", "Right of way")


def test_a_workflow_stage_changes_with_the_version_its_row_showed(make_client, admin_headers):
    client = signed_in(make_client(), "admin", ADMIN_PASSWORD)
    ppa = _create_ppa(client, f"Stages {_marker()}")
    page = f"{PPAS}{ppa}/"
    action = f"{page}workflow/budget_call/"
    row = re.search(
        rf'action="{re.escape(action)}".*?name="version" value="(\d+)"', client.get(page).text, re.S
    )
    assert row
    shown = row.group(1)
    # A colleague starts the stage meanwhile (through the API, at its current version).
    colleague = make_client().patch(
        f"/api/v1/ppas/{ppa}/workflow/budget_call",
        json={"status": "in_progress"},
        headers={**admin_headers, "If-Match": f'"{shown}"'},
    )
    assert colleague.status_code == 200, colleague.text
    stale = submit(client, action, {"version": shown, "status": "completed"})
    assert stale.status_code == 412
    assert "Someone changed this meanwhile" in stale.text
    stages = make_client().get(f"/api/v1/ppas/{ppa}/workflow", headers=admin_headers).json()
    assert stages[0]["status"] == "in_progress"
    current = str(stages[0]["version"])
    assert submit(client, action, {"version": current, "status": "completed"}).status_code == 303


def test_deleting_a_ppa_and_a_milestone_asks_first(make_client):
    client = signed_in(make_client(), "admin", ADMIN_PASSWORD)
    marker = _marker()
    ppa = _create_ppa(client, f"Doomed {marker}")
    page = f"{PPAS}{ppa}/"
    assert submit(client, page + "milestones/", {"title": "M1", "date": "2031-01-01"})
    detail = client.get(page).text
    assert f'href="{page}delete/"' in detail
    assert f'action="{page}delete/"' not in detail  # no one-click delete
    milestone = re.search(rf'href="{re.escape(page)}milestones/([0-9a-f-]{{36}})/delete/"', detail)
    assert milestone
    confirm = client.get(f"{page}milestones/{milestone.group(1)}/delete/")
    assert confirm.status_code == 200
    assert "Delete the milestone “M1”?" in confirm.text
    assert client.get(page).text.count(">M1<") == 1  # still there after the question
    gone = submit(client, f"{page}milestones/{milestone.group(1)}/delete/", {})
    assert gone.status_code == 303
    after = client.get(gone.headers["location"]).text
    assert "Milestone deleted" in after
    assert ">M1<" not in after

    question = client.get(page + "delete/")
    assert question.status_code == 200
    assert f"Delete the PPA “Doomed {marker}”?" in question.text
    assert client.get(page).status_code == 200
    version = re.search(r'name="version" value="(\d+)"', question.text)
    assert version
    deleted = submit(client, page + "delete/", {"version": version.group(1)})
    assert deleted.status_code == 303
    assert "PPA deleted" in client.get(deleted.headers["location"]).text
    assert client.get(page).status_code == 404


def test_delete_is_offered_only_before_a_ppa_is_submitted_and_without_funding(make_client):
    client = signed_in(make_client(), "admin", ADMIN_PASSWORD)
    submitted = f"{PPAS}{_create_ppa(client, f'Submitted {_marker()}')}/"
    assert f'href="{submitted}delete/"' in client.get(submitted).text
    assert submit(client, submitted + "approval/", {"to": "technical_review"}).status_code == 303
    detail = client.get(submitted).text
    assert f'href="{submitted}delete/"' not in detail
    assert f'href="{submitted}edit/"' in detail
    refused = submit(client, submitted + "delete/", {})
    assert refused.status_code == 409
    assert "send it back to draft through approval first" in refused.text

    funded = f"{PPAS}{_create_ppa(client, f'Funded {_marker()}', budget_allocation='1000')}/"
    allocation = {"tranche_type": "allocation", "amount": "500", "date": "2026-01-10"}
    assert submit(client, funded + "funding/", allocation).status_code == 303
    assert f'href="{funded}delete/"' not in client.get(funded).text


def test_need_ppa_links_are_added_and_removed_one_at_a_time(make_client):
    client = signed_in(make_client(), "admin", ADMIN_PASSWORD)
    marker = _marker()
    first = _create_ppa(client, f"First {marker}")
    second = _create_ppa(client, f"Second {marker}")
    assert "New need" in client.get(NEEDS).text
    bad = submit(client, NEEDS + "create/", {"title": "", "impact_severity": "9"})
    assert bad.status_code == 422
    assert "Give the title" in _field_error(bad.text, "title")
    assert "from 1 to 5" in _field_error(bad.text, "impact_severity")
    need = _created_id(
        submit(
            client,
            NEEDS + "create/",
            {"title": f"Water {marker}", "affected_population": "12,000"},
        ),
        NEEDS,
    )
    need_page = f"{NEEDS}{need}/"
    assert submit(client, need_page + "ppas/", {"ppa_id": first}).status_code == 303
    added = submit(client, need_page + "ppas/", {"ppa_id": second})
    assert added.status_code == 303
    shown = client.get(added.headers["location"]).text
    assert "PPA linked" in shown
    assert f"First {marker}" in shown
    assert f"Second {marker}" in shown
    assert "12000" in shown

    # Removed by its own button (undone by linking again): the other link stays.
    remove = f"{need_page}ppas/{first}/remove/"
    assert f'action="{remove}"' in shown
    removed = submit(client, remove, {})
    assert removed.status_code == 303
    after = client.get(removed.headers["location"]).text
    assert "PPA unlinked" in after
    assert f'href="{PPAS}{second}/">Second {marker}' in after
    assert f'href="{PPAS}{first}/">First {marker}' not in after
    again = submit(client, remove, {})  # already gone: the page says so
    assert again.status_code == 404
    assert "not found" in again.text


def test_assessment_form_errors_beside_fields(make_client):
    client = signed_in(make_client(), "admin", ADMIN_PASSWORD)
    assert client.get(ASSESSMENTS + "new/").status_code == 200
    refused = submit(
        client,
        ASSESSMENTS + "create/",
        {"title": "x", "planned_start_date": "soon", "assessment_level": "barangay"},
    )
    assert refused.status_code == 422
    assert "Choose a methodology" in _field_error(refused.text, "primary_methodology")
    assert "must be a date" in _field_error(refused.text, "planned_start_date")
    # The service's own check, in words: no field names written as code.
    backwards = submit(
        client,
        ASSESSMENTS + "create/",
        {
            "title": "x",
            "primary_methodology": "survey",
            "assessment_level": "barangay",
            "planned_start_date": "2031-03-10",
            "planned_end_date": "2031-03-01",
        },
    )
    assert backwards.status_code == 422
    said = _field_error(backwards.text, "planned_end_date")
    assert said == "Planned end must not be before the planned start"
    assert "_" not in said


def test_assessment_form_shows_every_error_at_once_new_or_edited(make_client, admin_headers):
    client = signed_in(make_client(), "admin", ADMIN_PASSWORD)
    backwards = {
        "title": "",
        "assessment_level": "barangay",
        "planned_start_date": "2031-03-10",
        "planned_end_date": "2031-03-01",
        "location": "x" * 256,
    }
    refused = submit(client, ASSESSMENTS + "create/", backwards)
    assert refused.status_code == 422
    # One round: the page's own checks and the dates' order (the service's rule) together.
    assert _field_error(refused.text, "title") == "Give the title"
    assert _field_error(refused.text, "primary_methodology") == "Choose a methodology"
    assert _field_error(refused.text, "location") == "Location may have at most 255 characters"
    assert _field_error(refused.text, "planned_end_date") == (
        "Planned end must not be before the planned start"
    )
    assert 'value="2031-03-01"' in refused.text
    ancient = submit(
        client, ASSESSMENTS + "create/", {**backwards, "planned_start_date": "1900-01-01"}
    )
    assert _field_error(ancient.text, "planned_start_date") == (
        "Planned start must be between Thu 1 Jan 1970 and Tue 31 Dec 2199"
    )

    made = make_client().post(
        "/api/v1/assessments",
        json={"title": "Survey", "primary_methodology": "survey", "assessment_level": "barangay"},
        headers=admin_headers,
    )
    assert made.status_code == 201, made.text
    page = f"{ASSESSMENTS}{made.json()['id']}/"
    edited = submit(
        client,
        page + "edit/",
        {**backwards, "primary_methodology": "survey", "version": "1", "status": "planning"},
    )
    assert edited.status_code == 422
    assert _field_error(edited.text, "title") == "Give the title"
    assert _field_error(edited.text, "planned_end_date") == (
        "Planned end must not be before the planned start"
    )


# -- edit and delete of assessments and needs; who changed what (issue 15) -------------------

RECORDS = {
    "assessment": (
        ASSESSMENTS,
        "/api/v1/assessments",
        {"title": "Survey", "primary_methodology": "survey", "assessment_level": "barangay"},
    ),
    "need": (NEEDS, "/api/v1/needs", {"title": "Water", "impact_severity": 4}),
}


def _person(make_client, admin_headers, role: str, full_name: str) -> dict:
    """A user with a full name, their bearer headers and a signed-in page client."""
    user = create_user(make_client(), admin_headers, role)
    named = make_client().patch(
        f"/api/v1/users/{user['id']}", json={"full_name": full_name}, headers=admin_headers
    )
    assert named.status_code == 200, named.text
    return {
        **user,
        "headers": token_for(make_client(), user["username"], USER_PASSWORD),
        "pages": signed_in(make_client(), user["username"]),
    }


def _version(page: str) -> str:
    found = re.search(r'name="version" value="(\d+)"', page)
    assert found, "no version in the form"
    return found.group(1)


def _owned_record(
    make_client: Any,
    admin_headers: dict[str, str],
    kind: str,
    title: str,
    someone: tuple[str, str],
) -> tuple[str, dict[str, Any], dict[str, Any], str, str]:
    """A `kind` record "`title` <marker>" made by a staff owner, and `someone` else (role,
    name): the marker, the owner, the other person, the record's id and its page."""
    pages_root, api_root, body = RECORDS[kind]
    marker = _marker()
    owner = _person(make_client, admin_headers, "staff", f"Owner {marker}")
    other = _person(make_client, admin_headers, someone[0], f"{someone[1]} {marker}")
    made = make_client().post(
        api_root, json={**body, "title": f"{title} {marker}"}, headers=owner["headers"]
    )
    assert made.status_code == 201, made.text
    record_id: str = made.json()["id"]
    return marker, owner, other, record_id, f"{pages_root}{record_id}/"


@pytest.mark.parametrize("kind", list(RECORDS))
def test_edit_carries_the_version_and_a_stale_save_names_who_changed(
    make_client, admin_headers, kind
):
    _, api_root, body = RECORDS[kind]
    marker, owner, boss, record_id, page = _owned_record(
        make_client, admin_headers, kind, "Mine", ("manager", "Bashir Manager")
    )
    client = owner["pages"]
    assert f'href="{page}edit/"' in client.get(page).text

    form = client.get(page + "edit/")
    assert form.status_code == 200
    assert f'value="Mine {marker}"' in form.text
    version = _version(form.text)
    theirs = make_client().patch(
        f"{api_root}/{record_id}",
        json={"community": f"Theirs {marker}"},
        headers=boss["headers"],
    )
    assert theirs.status_code == 200, theirs.text

    typed = {**{k: str(v) for k, v in body.items()}, "title": f"Typed {marker}"}
    stale = submit(client, page + "edit/", {**typed, "version": version})
    assert stale.status_code == 412
    assert f"This {kind} was changed by Bashir Manager {marker} since you opened it" in stale.text
    assert f'value="Typed {marker}"' in stale.text  # what was typed is kept
    current = _version(stale.text)
    assert current != version
    assert (
        make_client().get(f"{api_root}/{record_id}", headers=owner["headers"]).json()["title"]
        == f"Mine {marker}"
    )

    # Errors beside their fields, all at once, nothing saved.
    refused = submit(
        client, page + "edit/", {**typed, "title": "", "impact_severity": "9", "version": current}
    )
    assert refused.status_code == 422
    assert "Give the title" in _field_error(refused.text, "title")

    saved = submit(client, page + "edit/", {**typed, "version": current})
    assert saved.status_code == 303
    assert saved.headers["location"] == page + "?saved=saved"
    shown = client.get(saved.headers["location"]).text
    assert f"{kind.capitalize()} saved" in shown
    assert f"Typed {marker}" in shown
    stored = make_client().get(f"{api_root}/{record_id}", headers=owner["headers"])
    assert stored.json()["community"] == f"Theirs {marker}"  # the other change stays
    assert stored.json()["updated_by"] == owner["id"]


@pytest.mark.parametrize("kind", list(RECORDS))
def test_only_owners_and_managers_edit_or_delete_and_delete_asks_first(
    make_client, admin_headers, kind
):
    pages_root, api_root, body = RECORDS[kind]
    marker, owner, other, record_id, page = _owned_record(
        make_client, admin_headers, kind, "Kept", ("staff", "Other")
    )

    # Another staff member sees the record but no Edit or Delete, and may not use them.
    seen = other["pages"].get(page)
    assert seen.status_code == 200
    assert f"Kept {marker}" in seen.text
    assert f'href="{page}edit/"' not in seen.text
    assert f'href="{page}delete/"' not in seen.text
    for path in (page + "edit/", page + "delete/"):
        assert other["pages"].get(path).status_code == 403, path
    typed = {**{k: str(v) for k, v in body.items()}, "title": "Taken", "version": "1"}
    assert submit(other["pages"], page + "edit/", typed).status_code == 403
    refused = submit(other["pages"], page + "delete/", {"version": "1"})
    assert refused.status_code == 403
    assert f"Delete the {kind} “Kept {marker}”?" in refused.text

    # The owner is asked first; a change meanwhile stops the deletion and says by whom.
    client = owner["pages"]
    assert f'href="{page}delete/"' in client.get(page).text
    question = client.get(page + "delete/")
    assert question.status_code == 200
    assert f"Delete the {kind} “Kept {marker}”?" in question.text
    version = _version(question.text)
    changed = make_client().patch(
        f"{api_root}/{record_id}", json={"description": "more"}, headers=admin_headers
    )
    assert changed.status_code == 200, changed.text
    stale = submit(client, page + "delete/", {"version": version})
    assert stale.status_code == 412
    assert f"This {kind} was changed by Administrator since you opened it" in stale.text
    assert client.get(page).status_code == 200

    deleted = submit(client, page + "delete/", {"version": _version(stale.text)})
    assert deleted.status_code == 303
    assert deleted.headers["location"] == pages_root + "?saved=deleted"
    assert f"{kind.capitalize()} deleted" in client.get(deleted.headers["location"]).text
    assert client.get(page).status_code == 404


def test_a_ppa_page_links_and_unlinks_needs_one_at_a_time(make_client, admin_headers):
    marker = _marker()
    owner = _person(make_client, admin_headers, "staff", f"Owner {marker}")
    other = _person(make_client, admin_headers, "staff", f"Other {marker}")
    api = make_client()
    ppa = _create_ppa(owner["pages"], f"Wells {marker}")
    mine, kept = (
        api.post("/api/v1/needs", json={"title": f"{t} {marker}"}, headers=owner["headers"])
        for t in ("Pumps", "Pipes")
    )
    theirs = api.post(
        "/api/v1/needs", json={"title": f"Theirs {marker}"}, headers=other["headers"]
    ).json()
    page = f"{PPAS}{ppa}/"
    client = owner["pages"]
    offered = client.get(page).text
    assert f'value="{mine.json()["id"]}"' in offered  # "Link a need" offers the owner's needs
    assert f'value="{theirs["id"]}"' not in offered  # ...not those they may not change

    for need in (mine.json(), kept.json()):
        linked = submit(client, page + "needs/", {"need_id": need["id"]})
        assert linked.status_code == 303
        assert linked.headers["location"] == page + "?saved=linked#needs"
    shown = client.get(page + "?saved=linked").text
    assert "Need linked to this PPA" in shown
    assert f"Pumps {marker}" in shown
    assert f"Pipes {marker}" in shown

    removed = submit(client, f"{page}needs/{mine.json()['id']}/remove/", {})
    assert removed.status_code == 303
    after = client.get(removed.headers["location"]).text
    assert "Need link removed" in after
    assert f'href="{NEEDS}{mine.json()["id"]}/">Pumps' not in after
    assert f'href="{NEEDS}{kept.json()["id"]}/">Pipes' in after
    stored = api.get(f"/api/v1/needs/{kept.json()['id']}", headers=owner["headers"]).json()
    assert stored["ppa_ids"] == [ppa]

    refused = submit(client, page + "needs/", {"need_id": theirs["id"]})
    assert refused.status_code == 403
    unchosen = submit(client, page + "needs/", {"need_id": ""})
    assert unchosen.status_code == 422
    assert _field_error(unchosen.text, "need_id") == "Choose a need from the list"


# -- funding within its limits, corrected by reversal (issue 19) ------------------------------


def _reverse_links(page: str, ppa_page: str) -> list[str]:
    return re.findall(rf'href="({re.escape(ppa_page)}funding/[0-9a-f-]{{36}}/reverse/)"', page)


def test_a_refused_tranche_says_why_beside_the_amount_and_a_reversal_asks_the_reason(
    make_client, admin_headers
):
    client = signed_in(make_client(), "admin", ADMIN_PASSWORD)
    marker = _marker()
    page = f"{PPAS}{_create_ppa(client, f'Funded {marker}', budget_allocation='1000')}/"
    for kind, amount in (("allocation", "800"), ("obligation", "600")):
        body = {"tranche_type": kind, "amount": amount, "date": "2026-01-10"}
        assert submit(client, page + "funding/", body).status_code == 303
    too_much = submit(
        client,
        page + "funding/",
        {"tranche_type": "disbursement", "amount": "5,000", "date": "2026-01-20"},
    )
    assert too_much.status_code == 409
    assert _field_error(too_much.text, "amount") == (
        "Amount: disbursements would total ₱5,000.00, more than the ₱600.00 obligated"
    )
    assert 'name="amount" type="text" value="5,000"' in too_much.text  # what was typed stays
    # QA's case: a disbursement dated ahead is refused beside the date (the totals unmoved).
    ahead = (date.today() + timedelta(days=90)).isoformat()
    future = submit(
        client,
        page + "funding/",
        {"tranche_type": "disbursement", "amount": "100", "date": ahead},
    )
    assert future.status_code == 422
    assert _field_error(future.text, "date") == (
        "Date: a tranche records money that has moved; the day must not be in the future"
    )
    assert f'name="date" type="date" value="{ahead}"' in future.text
    assert "Please correct the field marked below." in future.text

    detail = client.get(page).text
    obligation_link, allocation_link = _reverse_links(detail, page)[::-1]
    assert len(_reverse_links(detail, page)) == 2

    staff_user = create_user(make_client(), admin_headers, "staff")
    staff = signed_in(make_client(), staff_user["username"])
    assert _reverse_links(staff.get(page).text, page) == []
    assert staff.get(obligation_link).status_code == 403
    assert submit(staff, obligation_link, {"reason": "Not mine"}).status_code == 403

    question = client.get(obligation_link)
    assert question.status_code == 200
    assert "Reverse the obligation of" in question.text
    assert "600.00" in question.text
    assert '<textarea name="reason"' in question.text
    assert _reverse_links(client.get(page).text, page) != []  # nothing reversed by asking
    empty = submit(client, obligation_link, {"reason": ""})
    assert empty.status_code == 422
    assert _field_error(empty.text, "reason") == "Give the reason"
    short = submit(client, obligation_link, {"reason": "ab"})
    assert short.status_code == 422
    assert "at least 3" in _field_error(short.text, "reason")

    done = submit(client, obligation_link, {"reason": f"Charged to the wrong PPA {marker}"})
    assert done.status_code == 303
    assert done.headers["location"] == page + "?saved=tranche-reversed#funding"
    after = client.get(done.headers["location"]).text
    assert "Tranche reversed" in after
    assert f"Reversal of the obligation of Sat 10 Jan 2026: Charged to the wrong PPA {marker}" in (
        after
    )
    assert ">reversed</span> on" in after
    assert _reverse_links(after, page) == [allocation_link]  # neither it nor its reversal
    stream = after[after.index('id="activity"') :]
    assert f"Charged to the wrong PPA {marker}" in stream
    assert "Obligated" in stream

    again = submit(client, obligation_link, {"reason": "Once more"})
    assert again.status_code == 409
    assert "already reversed" in again.text
    # Without the obligation, reversing the allocation stays within the limits; an
    # obligation again, then a reversal of the allocation is refused in words.
    obligation = {"tranche_type": "obligation", "amount": "100", "date": "2026-02-01"}
    assert submit(client, page + "funding/", obligation).status_code == 303
    refused = submit(client, allocation_link, {"reason": "Budget withdrawn"})
    assert refused.status_code == 409
    assert "less than the ₱100.00 obligated" in refused.text


def test_the_dashboard_flags_ppas_under_obligated_at_the_quarter_end(make_client):
    client = signed_in(make_client(), "admin", ADMIN_PASSWORD)
    marker = _marker()
    today = office_today()  # the dashboard's quarters are the office's
    first_of_quarter = date(today.year, (today.month - 1) // 3 * 3 + 1, 1)
    quarter_end = (first_of_quarter - timedelta(days=1)).isoformat()
    low = _create_ppa(client, f"Slow {marker}", fiscal_year="2037")
    for kind, amount in (("allocation", "1000"), ("obligation", "100")):
        body = {"tranche_type": kind, "amount": amount, "date": quarter_end}
        assert submit(client, f"{PPAS}{low}/funding/", body).status_code == 303
    board = client.get(DASHBOARD, params={"fiscal_year": "2037"}).text
    assert "under-obligated at the end of" in board
    section = board[board.index('id="under-obligated"') :]
    assert (
        "⚠ 1 PPA under-obligated: obligated below 75 % of the allocation at the quarter's end"
        in html.unescape(section)
    )
    assert f"Slow {marker}</a>" in section
    assert "10.00 %" in section


def test_a_ppa_in_budget_review_shows_its_budget_and_scope_frozen(make_client, admin_headers):
    """Frozen fields were editable inputs, refused only after saving: they are shown
    disabled with the reason, and the rest of the form saves."""
    client = signed_in(make_client(), "admin", ADMIN_PASSWORD)
    marker = _marker()
    ppa = _create_ppa(client, f"Frozen {marker}", budget_allocation="500,000")
    for stage in ("technical_review", "budget_review"):
        moved = make_client().post(
            f"/api/v1/ppas/{ppa}/approval", json={"to": stage}, headers=admin_headers
        )
        assert moved.status_code == 200, moved.text
    form = client.get(f"{PPAS}{ppa}/edit/").text
    assert re.search(r'name="title"[^>]* disabled aria-describedby="f-title-frozen"', form)
    assert re.search(r'name="budget_allocation"[^>]* disabled', form)
    assert re.search(r'<select name="sector" disabled', form)
    assert "Frozen in budget review: send the PPA back to draft through approval" in form
    assert not re.search(r'name="priority"[^>]* disabled', form)
    version = re.search(r'name="version" value="(\d+)"', form)
    assert version
    saved = submit(
        client,
        f"{PPAS}{ppa}/edit/",
        {"version": version.group(1), "priority": "high", "implementing_office": "MOLE"},
    )
    assert saved.status_code == 303, saved.text
    stored = make_client().get(f"/api/v1/ppas/{ppa}", headers=admin_headers).json()
    assert (stored["priority"], stored["title"]) == ("high", f"Frozen {marker}")
    # Two people edit it: a colleague saves the MOA reference and the challenges, I save the
    # challenges. The frozen inputs (not submitted: disabled) show their values again, and
    # only the challenges, which we both changed, say what the colleague saved.
    opened = client.get(f"{PPAS}{ppa}/edit/").text
    mine = {name: v for name, v in _edit_form(opened).items() if name not in FROZEN_FIELDS}
    colleague = make_client().patch(
        f"/api/v1/ppas/{ppa}",
        json={"moa_reference": "MOA-2026-077", "challenges": "Rain"},
        headers=admin_headers,
    )
    assert colleague.status_code == 200, colleague.text
    stale = submit(client, f"{PPAS}{ppa}/edit/", {**mine, "challenges": "Floods"})
    assert stale.status_code == 412
    assert re.search(rf'name="title" type="text" value="Frozen {marker}"[^>]* disabled', stale.text)
    assert re.search(r'name="budget_allocation" type="text" value="500,000.00"', stale.text)
    assert re.search(r'<option value="social" selected>', stale.text)
    assert 'value="MOA-2026-077"' in stale.text
    assert re.findall(r"Now saved: ([^<]*)<", stale.text) == ["Rain"]
