"""Portfolio pages against the real tasks and portfolio services: dashboard, PPA list /
create / detail (milestones, workflow, approval, funding, needs, tasks), assessments, needs."""

from __future__ import annotations

import re
import uuid
from datetime import date, timedelta

import httpx
from gateway_helpers import ADMIN_PASSWORD, create_user, signed_in, submit

PPAS = "/oobc-management/portfolio/ppas/"
DASHBOARD = "/oobc-management/portfolio/"
ASSESSMENTS = "/oobc-management/portfolio/assessments/"
NEEDS = "/oobc-management/portfolio/needs/"


def _marker() -> str:
    return uuid.uuid4().hex[:8]


def _created_id(response: httpx.Response, prefix: str) -> str:
    assert response.status_code == 303, response.text
    match = re.fullmatch(re.escape(prefix) + r"([0-9a-f-]{36})/", response.headers["location"])
    assert match, response.headers["location"]
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
    assert "Conflict (409)" in early.text
    assert (
        submit(client, page + "workflow/budget_call/", {"status": "completed"}).status_code == 303
    )
    assert (
        submit(client, page + "workflow/formulation/", {"status": "completed"}).status_code == 303
    )

    tranche = submit(
        client,
        page + "funding/",
        {"tranche_type": "allocation", "amount": "800", "date": "2031-01-10"},
    )
    assert tranche.status_code == 303
    submit(
        client,
        page + "funding/",
        {"tranche_type": "obligation", "amount": "400", "date": "2031-01-20"},
    )
    funding = client.get(page).text
    assert "800.00" in funding
    assert "50.0 %" in funding  # obligation rate 400 / 800
    negative = submit(
        client,
        page + "funding/",
        {"tranche_type": "obligation", "amount": "-5", "date": "2031-01-20"},
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
        {"tranche_type": "allocation", "amount": "5", "date": "2031-01-01"},
    )
    assert refused_funding.status_code == 403

    moved = submit(
        admin, page + "approval/", {"to": "technical_review", "note": f"looks fine {marker}"}
    )
    assert moved.status_code == 303
    history = admin.get(page).text
    assert f"looks fine {marker}" in history
    assert "badge-technical_review" in history
    wrong = submit(admin, page + "approval/", {"to": "enacted"})
    assert wrong.status_code == 409
    assert "cannot move to enacted" in wrong.text


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

    need = _created_id(
        submit(
            client, NEEDS + "create/", {"title": f"Classrooms {marker}", "impact_severity": "4"}
        ),
        NEEDS,
    )
    need_page = client.get(f"{NEEDS}{need}/")
    assert need_page.status_code == 200
    assert f"School {marker}" in need_page.text  # offered in the multi-select
    linked = submit(client, f"{NEEDS}{need}/ppas/", {"ppa_ids": ppa})
    assert linked.status_code == 303
    assert f'href="{PPAS}{ppa}/">School {marker}' in client.get(f"{NEEDS}{need}/").text
    assert f"Classrooms {marker}" in client.get(f"{PPAS}{ppa}/").text
    bad_link = submit(client, f"{NEEDS}{need}/ppas/", {"ppa_ids": "not-an-id"})
    assert bad_link.status_code == 422
    assert "ppa_ids" in bad_link.text

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
    assert f"Kick-off {marker}" in dashboard.text
    whole = client.get(DASHBOARD)
    assert whole.status_code == 200
    assert "needs addressed" in whole.text
    invalid = client.get(DASHBOARD, params={"fiscal_year": "12"})
    assert invalid.status_code == 422
    assert "fiscal_year" in invalid.text

    for path in (
        f"{PPAS}{uuid.uuid4()}/",
        f"{PPAS}not-a-uuid/",
        f"{ASSESSMENTS}{uuid.uuid4()}/",
        f"{NEEDS}{uuid.uuid4()}/",
    ):
        missing = client.get(path)
        assert missing.status_code == 404, path
        assert "Not found" in missing.text
    gone = submit(client, f"{PPAS}{uuid.uuid4()}/milestones/", {"title": "x", "date": "2031-01-01"})
    assert gone.status_code == 404
