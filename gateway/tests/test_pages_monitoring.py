"""M&E on the PPA page and the dashboard, against the real portfolio service: indicators added
and changed (errors beside their fields, the version carried, a stale save refused), actuals
recorded (one per period) and deleted after a question, the status-update log newest first
with its authors, what a non-owner is offered, and the dashboard's attainment and stale PPAs."""

from __future__ import annotations

import re
import uuid
from datetime import date, timedelta
from typing import Any

import httpx
from gateway_helpers import (
    ADMIN_PASSWORD,
    USER_PASSWORD,
    create_user,
    signed_in,
    submit,
    token_for,
    visible_text,
)

PPAS = "/oobc-management/portfolio/ppas/"
DASHBOARD = "/oobc-management/portfolio/"


def _marker() -> str:
    return uuid.uuid4().hex[:8]


def _person(make_client: Any, admin_headers: dict[str, str], role: str, name: str) -> dict:
    user = create_user(make_client(), admin_headers, role, full_name=name)
    return {
        **user,
        "headers": token_for(make_client(), user["username"], USER_PASSWORD),
        "pages": signed_in(make_client(), user["username"]),
    }


def _ppa(client: httpx.Client, title: str, **fields: str) -> str:
    data = {"title": title, "category": "moa_ppa", **fields}
    response = submit(client, PPAS + "create/", data)
    assert response.status_code == 303, response.text
    found = re.search(r"/ppas/([0-9a-f-]{36})/", response.headers["location"])
    assert found
    return found.group(1)


def _field_error(page: str, name: str) -> str:
    """The error shown beside input `name` (the span its aria-describedby names)."""
    assert re.search(rf'name="{name}"[^>]*aria-invalid="true"', page), name
    found = re.search(rf'id="f-{name}-error">([^<]*)<', page)
    assert found, name
    return found.group(1)


def _followed(client: httpx.Client, response: httpx.Response) -> str:
    assert response.status_code == 303, response.text
    return client.get(response.headers["location"]).text


def test_indicators_and_actuals_on_the_ppa_page(make_client, admin_headers):
    marker = _marker()
    owner = _person(make_client, admin_headers, "staff", f"Amina Owner {marker}")
    client = owner["pages"]
    ppa = _ppa(client, f"Water {marker}", start_date="2025-01-01", target_end_date="2025-12-31")
    page = f"{PPAS}{ppa}/"
    assert 'href="#indicators"' in client.get(page).text

    # Every error at once, beside its input; what was typed stays.
    refused = submit(
        client, page + "indicators/", {"name": "", "kind": "outcome", "baseline": "ten"}
    )
    assert refused.status_code == 422
    assert _field_error(refused.text, "name") == "Give the indicator name"
    assert _field_error(refused.text, "baseline") == "Baseline must be a number, e.g. 250"
    assert _field_error(refused.text, "target") == "Give the target"
    assert _field_error(refused.text, "target_date") == "Give the target date"
    assert 'value="ten"' in refused.text
    three_decimals = submit(
        client,
        page + "indicators/",
        {
            "name": "x",
            "kind": "output",
            "baseline": "1.005",
            "target": "2",
            "target_date": "2025-12-31",
        },
    )
    assert _field_error(three_decimals.text, "baseline") == "Baseline may have at most two decimals"

    body = {
        "name": f"Households served {marker}",
        "kind": "outcome",
        "unit": "households",
        "baseline": "10",
        "target": "1,010",
        "target_date": "2025-12-31",
    }
    added = _followed(client, submit(client, page + "indicators/", body))
    assert "Indicator added" in added
    assert f"Households served {marker}" in added
    assert "No actual recorded yet" in added
    indicator = re.search(rf'action="{re.escape(page)}indicators/([0-9a-f-]{{36}})/"', added)
    assert indicator
    indicator_id = indicator.group(1)
    # Its only indicator is chosen already in the form recording an actual.
    form = added[added.index('name="indicator_id"') :]
    form = form[: form.index("</select>")]
    assert f'<option value="{indicator_id}" selected>' in form
    assert "choose an indicator" not in form

    # Record an actual: the indicator is chosen; one per period.
    missing = submit(client, page + "actuals/", {"period_end": "2025-03-31", "value": "510"})
    assert missing.status_code == 422
    assert _field_error(missing.text, "indicator_id") == "Choose the indicator from the list"
    actual = {"indicator_id": indicator_id, "period_end": "2025-03-31", "value": "510"}
    recorded = _followed(client, submit(client, page + "actuals/", actual))
    assert "Actual recorded" in recorded
    assert "50.0 %" in recorded  # (510 - 10) / (1010 - 10)
    assert "badge-on_track" in recorded
    again = submit(client, page + "actuals/", {**actual, "value": "600"})
    assert again.status_code == 409
    assert "already recorded" in _field_error(again.text, "period_end")
    future = (date.today() + timedelta(days=3)).isoformat()
    ahead = submit(client, page + "actuals/", {**actual, "period_end": future})
    assert ahead.status_code == 422
    assert "must not be in the future" in _field_error(ahead.text, "period_end")

    # Edits carry the version: a save from a page read before a change is refused.
    edit = f"{page}indicators/{indicator_id}/"
    saved = submit(client, edit, {**body, "target": "510", "version": "1"})
    assert "Indicator updated" in _followed(client, saved)
    assert "100.0 %" in client.get(page).text
    stale = submit(client, edit, {**body, "name": "Old", "version": "1"})
    assert stale.status_code == 412
    assert "Someone changed this meanwhile" in stale.text
    bad_edit = submit(client, edit, {**body, "kind": "impact", "version": "2"})
    assert bad_edit.status_code == 422
    assert _field_error(bad_edit.text, "kind") == "Choose a kind from the list"

    # Deleting an actual, then the indicator, asks first.
    listed = client.get(page).text
    delete_actual = re.search(rf'href="({re.escape(edit)}actuals/[0-9a-f-]{{36}}/delete/)"', listed)
    assert delete_actual
    question = client.get(delete_actual.group(1))
    assert question.status_code == 200
    assert f"Delete the actual of “Households served {marker}”" in question.text
    assert "Actual deleted" in _followed(client, submit(client, delete_actual.group(1), {}))
    assert "No actual recorded yet" in client.get(page).text
    question = client.get(edit + "delete/")
    assert f"Delete the indicator “Households served {marker}”?" in question.text
    assert "Its 0 recorded actuals go with it" in question.text
    stale_delete = submit(client, edit + "delete/", {"version": "1"})
    assert stale_delete.status_code == 412
    assert "Someone changed this indicator meanwhile" in stale_delete.text
    gone = _followed(client, submit(client, edit + "delete/", {"version": "2"}))
    assert "Indicator deleted" in gone
    assert "No indicators yet." in gone


def test_an_edit_that_would_break_recorded_actuals_says_which_beside_the_field(
    make_client, admin_headers
):
    marker = _marker()
    owner = _person(make_client, admin_headers, "staff", f"Amina Owner {marker}")
    client = owner["pages"]
    ppa = _ppa(client, f"Reading {marker}", start_date="2025-01-01", target_end_date="2025-12-31")
    page = f"{PPAS}{ppa}/"
    body = {
        "name": f"Adults who read {marker}",
        "kind": "outcome",
        "unit": "adults",
        "baseline": "20",
        "target": "80",
        "target_date": "2025-12-31",
    }
    added = _followed(client, submit(client, page + "indicators/", body))
    indicator = re.search(rf'action="{re.escape(page)}indicators/([0-9a-f-]{{36}})/"', added)
    assert indicator
    edit = f"{page}indicators/{indicator.group(1)}/"
    actual = {"indicator_id": indicator.group(1), "period_end": "2025-06-30", "value": "120"}
    assert "Actual recorded" in _followed(client, submit(client, page + "actuals/", actual))

    # Counted in %, its 120 could not be: refused, the actual named beside the unit, in the
    # indicator's own form (open, as typed), above its list of actuals to delete it from.
    refused = submit(client, edit, {**body, "unit": "%", "version": "1"})
    assert refused.status_code == 422
    assert _field_error(refused.text, "unit") == (
        "Unit: 1 recorded actual is above 100 (120 for the period ending Mon 30 Jun 2025), "
        "which the indicator could not take as a percentage (%); delete it first"
    )
    assert f'id="indicator-{indicator.group(1)}" open' in refused.text
    assert 'value="%"' in refused.text
    assert "Indicator updated" not in refused.text

    # The PPA's start moved past it: refused beside the start date.
    moved = submit(client, page + "edit/", {"start_date": "2025-07-01", "version": "1"})
    assert moved.status_code == 422
    assert _field_error(moved.text, "start_date") == (
        f"Start date: 1 recorded actual of its indicators would end before it (“Adults who "
        f"read {marker}” for the period ending Mon 30 Jun 2025), and an actual measures the "
        "PPA&#39;s work; delete it first or start the PPA on Mon 30 Jun 2025 or earlier"
    )
    assert "Wed 1 Jan 2025" in visible_text(client.get(page).text)


def test_the_status_update_log_and_what_others_are_offered(make_client, admin_headers):
    marker = _marker()
    owner = _person(make_client, admin_headers, "staff", f"Amina Owner {marker}")
    other = _person(make_client, admin_headers, "staff", f"Omar Other {marker}")
    client = owner["pages"]
    ppa = _ppa(client, f"Clinic {marker}")
    page = f"{PPAS}{ppa}/"
    assert "Last update: none yet" in client.get(page).text

    refused = submit(client, page + "updates/", {"as_of": "2026-10-31", "progress": "101%"})
    assert refused.status_code == 422
    assert _field_error(refused.text, "narrative") == "Give the narrative"
    assert _field_error(refused.text, "progress") == (
        "Progress (%) must be a whole number from 0 to 100"
    )
    first = {
        "as_of": "2026-10-31",
        "narrative": f"Foundations poured {marker}",
        "progress": " 40 %",  # as people write a percentage
        "issues": "Cement shortage",
        "next_steps": "Walls",
    }
    log = _followed(client, submit(client, page + "updates/", first))
    assert "Status update added" in log
    assert f"by Amina Owner {marker}" in log
    assert "40 % reported" in log
    assert "Cement shortage" in log
    earlier = {"as_of": "2026-09-30", "narrative": f"Site cleared {marker}"}
    log = _followed(client, submit(client, page + "updates/", earlier))
    assert log.index(f"Foundations poured {marker}") < log.index(f"Site cleared {marker}")
    assert "not reported" in log
    assert re.search(r"Last update: [^<]*2026", log)
    # The progress last reported shows beside the tasks', on the PPA's page and in the list.
    reported = "No tasks linked · 40 % reported Sat 31 Oct 2026"
    assert f"Progress {reported}" in visible_text(log)
    assert reported in visible_text(client.get(PPAS, params={"q": marker}).text)

    # Someone who is not an owner reads the log but is offered no forms, and is refused.
    seen = other["pages"].get(page).text
    assert f"Foundations poured {marker}" in seen
    assert f'action="{page}updates/"' not in seen
    assert f'action="{page}indicators/"' not in seen
    assert f'action="{page}milestones/"' not in seen
    assert f'action="{page}workflow/' not in seen  # no stage's "Set" either
    assert "Its owners (lead, members, creator) and managers move its stages." in seen
    owner_view = client.get(page).text
    assert f'action="{page}milestones/"' in owner_view
    assert f'action="{page}workflow/' in owner_view
    taken = submit(other["pages"], page + "updates/", {"as_of": "2026-11-01", "narrative": "x"})
    assert taken.status_code == 403
    assert "log: only its owners or a manager may do this" in taken.text


def test_the_dashboard_shows_attainment_and_ppas_without_a_recent_update(
    make_client, admin_headers
):
    client = signed_in(make_client(), "admin", ADMIN_PASSWORD)
    marker = _marker()
    ppa = _ppa(client, f"Silent {marker}", fiscal_year="2033", status="ongoing")
    api = make_client()
    made = api.post(
        f"/api/v1/ppas/{ppa}/indicators",
        json={
            "name": "i",
            "kind": "output",
            "baseline": 0,
            "target": 4,
            "target_date": str(date.today()),
        },
        headers=admin_headers,
    )
    assert made.status_code == 201, made.text
    actual = {"period_end": str(date.today()), "value": 1}
    recorded = api.post(
        f"/api/v1/ppas/{ppa}/indicators/{made.json()['id']}/actuals",
        json=actual,
        headers=admin_headers,
    )
    assert recorded.status_code == 201, recorded.text

    # Its last update is 40 days old: silent for 30 days or more, not for 60.
    long_ago = date.today() - timedelta(days=40)
    update = {"as_of": str(long_ago), "narrative": "Started"}
    posted = api.post(f"/api/v1/ppas/{ppa}/updates", json=update, headers=admin_headers)
    assert posted.status_code == 201, posted.text
    board = client.get(DASHBOARD, params={"fiscal_year": "2033"})
    assert board.status_code == 200
    assert "Indicator attainment" in board.text
    assert "25.0 %" in board.text  # 1 of 4
    assert "No status update for 30 days or more (1)" in board.text
    assert f'href="{PPAS}{ppa}/#updates">Silent {marker}</a>' in board.text
    quieter = client.get(DASHBOARD, params={"fiscal_year": "2033", "stale_days": "60"})
    assert "No status update for 60 days or more (0)" in quieter.text
    # Not "every open PPA has a recent status update": a PPA may never have had one yet.
    assert "No open PPA has gone " in quieter.text
    assert "days without a status update (one that never had any counts from the day it was" in (
        quieter.text
    )
    invalid = client.get(DASHBOARD, params={"stale_days": "0"})
    assert invalid.status_code == 422
    assert "stale_days" in invalid.text


def test_an_impossible_actual_is_refused_beside_its_field_and_over_achievement_says_so(
    make_client, admin_headers
):
    marker = _marker()
    owner = _person(make_client, admin_headers, "staff", f"Amina Owner {marker}")
    client = owner["pages"]
    ppa = _ppa(
        client,
        f"Literacy {marker}",
        fiscal_year="2043",
        start_date="2025-01-01",
        target_end_date="2025-12-31",
    )
    page = f"{PPAS}{ppa}/"
    share = {
        "name": f"Adults who read {marker}",
        "kind": "outcome",
        "unit": "%",
        "baseline": "20",
        "target": "80",
        "target_date": "2025-12-31",
    }
    count = {**share, "name": f"Classes held {marker}", "unit": "classes", "baseline": "0"}
    count["target"] = "10"
    for body in (share, count):
        assert submit(client, page + "indicators/", body).status_code == 303
    ids = re.findall(
        rf'action="{re.escape(page)}indicators/([0-9a-f-]{{36}})/"', client.get(page).text
    )
    share_id, count_id = ids

    actual = {"indicator_id": share_id, "period_end": "2025-06-30"}
    for value, words in [("-3", "cannot be negative"), ("120", "cannot be above 100")]:
        refused = submit(client, page + "actuals/", {**actual, "value": value})
        assert refused.status_code == 422
        assert _field_error(refused.text, "value").startswith(f"Value: {words}")
        assert f'value="{value}"' in refused.text
    early = submit(client, page + "actuals/", {**actual, "period_end": "2024-12-31", "value": "30"})
    assert early.status_code == 422
    assert "must not be before the PPA&#39;s start date (Wed 1 Jan 2025)" in _field_error(
        early.text, "period_end"
    )
    # Wrong in both: both errors at once, each beside its field.
    both = submit(client, page + "actuals/", {**actual, "period_end": "2024-12-31", "value": "120"})
    assert both.status_code == 422
    assert "must not be before the PPA&#39;s start date" in _field_error(both.text, "period_end")
    assert _field_error(both.text, "value").startswith("Value: cannot be above 100")
    assert "No actual recorded yet" in client.get(page).text

    # 13 classes of 10: past the target, on the PPA page and on the dashboard alike.
    done = {"indicator_id": count_id, "period_end": "2025-06-30", "value": "13"}
    recorded = _followed(client, submit(client, page + "actuals/", done))
    assert "130.0 % (target exceeded)" in recorded
    board = client.get(DASHBOARD, params={"fiscal_year": "2043"}).text
    exceeded = re.search(r"<th>Target exceeded</th><td[^>]*>(\d+)</td>", board)
    assert exceeded
    assert exceeded.group(1) == "1"
    assert "100.0 %" in board  # counted at most 100 % in the average
