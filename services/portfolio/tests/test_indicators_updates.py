"""M&E of a PPA: indicators with baseline, target and periodic actuals (attainment, where each
stands), and the dated status-update log (issue 19: "outcome indicators with targets and
actuals … and its dated status-update log")."""

from __future__ import annotations

import uuid
from datetime import date, timedelta
from typing import Any

from sqlalchemy import text

from obcms_platform.testing import assert_error
from obcms_platform.testing.service_probes import run_concurrently

from .helpers import PPAS, create_ppa, get_ppa

# A PPA running through 2025 (364 days): its indicators' periods start on its start date.
YEAR_2025 = {"start_date": "2025-01-01", "target_end_date": "2025-12-31"}


def indicator(client, caller, ppa_id: str, **fields: Any) -> dict[str, Any]:
    body = {
        "name": "Households with safe water",
        "kind": "outcome",
        "unit": "households",
        "baseline": 10,
        "target": 110,
        "target_date": "2025-12-31",
        **fields,
    }
    response = client.post(f"{PPAS}/{ppa_id}/indicators", json=body, headers=caller.headers)
    assert response.status_code == 201, response.text
    return dict(response.json())


def record(client, caller, ppa_id: str, indicator_id: str, period_end: str, value: Any):
    return client.post(
        f"{PPAS}/{ppa_id}/indicators/{indicator_id}/actuals",
        json={"period_end": period_end, "value": value},
        headers=caller.headers,
    )


def listed(client, caller, ppa_id: str) -> list[dict[str, Any]]:
    response = client.get(f"{PPAS}/{ppa_id}/indicators", headers=caller.headers)
    assert response.status_code == 200, response.text
    return list(response.json())


# --- indicators and their attainment ---------------------------------------------------


def test_an_indicator_without_actuals_has_no_attainment_yet(client, staff):
    ppa = create_ppa(client, staff, **YEAR_2025)
    created = indicator(client, staff, ppa["id"])
    assert created["ppa_id"] == ppa["id"]
    assert (created["baseline"], created["target"], created["unit"]) == (10, 110, "households")
    assert (created["attainment"], created["expected"], created["status"]) == (
        None,
        None,
        "no_data",
    )
    assert created["latest_actual"] is None
    assert created["attainment_note"] == "No actual recorded yet"
    assert (created["version"], created["created_by"]) == (1, str(staff.user_id))
    assert listed(client, staff, ppa["id"]) == [created]
    assert_error(client.get(f"{PPAS}/{uuid.uuid4()}/indicators", headers=staff.headers), 404)


def test_attainment_follows_the_latest_period_whatever_the_order_recorded(client, staff):
    ppa = create_ppa(client, staff, **YEAR_2025)
    made = indicator(client, staff, ppa["id"])
    # March first, then January: the latest period (March) counts, not the latest recorded.
    march = record(client, staff, ppa["id"], made["id"], "2025-03-31", 60)
    assert march.status_code == 201, march.text
    assert march.json()["recorded_by"] == str(staff.user_id)
    assert march.headers["Location"].endswith(f"/actuals/{march.json()['id']}")
    assert record(client, staff, ppa["id"], made["id"], "2025-01-31", 30).status_code == 201

    [found] = listed(client, staff, ppa["id"])
    assert [a["period_end"] for a in found["actuals"]] == ["2025-03-31", "2025-01-31"]
    assert found["latest_actual"]["value"] == 60
    assert found["attainment"] == 50.0  # (60 - 10) / (110 - 10)
    # 89 of the 364 days from the PPA's start to the target date had passed by March 31.
    assert found["expected"] == 24.5
    assert (found["status"], found["attainment_note"]) == ("on_track", None)

    # A later period below what the time asks for: behind.
    assert record(client, staff, ppa["id"], made["id"], "2025-09-30", 70).status_code == 201
    [found] = listed(client, staff, ppa["id"])
    assert (found["attainment"], found["expected"], found["status"]) == (
        60.0,
        74.7,
        "behind",
    )  # 272 of 364 days


def test_a_decreasing_indicator_attains_as_it_falls(client, staff):
    ppa = create_ppa(client, staff, **YEAR_2025)
    made = indicator(
        client, staff, ppa["id"], name="Out-of-school children", unit="%", baseline=40, target=10
    )
    base = f"{PPAS}/{ppa['id']}/indicators/{made['id']}"
    for period, value, attainment in [
        ("2025-02-28", "31", 30.0),  # 9 of the 30 points down
        ("2025-04-30", 45.5, -18.3),  # moved away from the target
        ("2025-12-31", 4, 120.0),  # past it
    ]:
        assert record(client, staff, ppa["id"], made["id"], period, value).status_code == 201
        assert listed(client, staff, ppa["id"])[0]["attainment"] == attainment, period
    [found] = listed(client, staff, ppa["id"])
    assert found["status"] == "on_track"
    # Deleting the latest actual brings the one before back.
    latest = found["latest_actual"]["id"]
    assert client.delete(f"{base}/actuals/{latest}", headers=staff.headers).status_code == 204
    [found] = listed(client, staff, ppa["id"])
    assert (found["latest_actual"]["period_end"], found["attainment"]) == ("2025-04-30", -18.3)
    assert found["status"] == "behind"


def test_a_target_equal_to_the_baseline_is_explained_not_divided_by(client, staff):
    ppa = create_ppa(client, staff, **YEAR_2025)
    made = indicator(client, staff, ppa["id"], name="Enrolment kept", baseline=95, target=95)
    assert record(client, staff, ppa["id"], made["id"], "2025-06-30", 96).status_code == 201
    [found] = listed(client, staff, ppa["id"])
    assert (found["attainment"], found["expected"], found["status"]) == (None, None, "no_data")
    assert found["attainment_note"] == (
        "The target equals the baseline: there is no change to attain"
    )
    assert found["latest_actual"]["value"] == 96


def test_without_a_start_date_the_period_starts_when_the_indicator_was_added(client, staff):
    ppa = create_ppa(client, staff)
    today = date.today()
    made = indicator(
        client,
        staff,
        ppa["id"],
        target_date=str(today + timedelta(days=100)),
        baseline=0,
        target=100,
    )
    assert record(client, staff, ppa["id"], made["id"], str(today), 1).status_code == 201
    [found] = listed(client, staff, ppa["id"])
    assert (found["attainment"], found["expected"], found["status"]) == (1.0, 0.0, "on_track")


INVALID_INDICATORS: list[tuple[dict[str, Any], str]] = [
    ({"name": ""}, "name"),
    ({"name": "x" * 301}, "name"),
    ({"kind": "impact"}, "kind"),
    ({"unit": "u" * 51}, "unit"),
    ({"baseline": "abc"}, "baseline"),
    ({"baseline": "1.005"}, "baseline"),
    ({"target": 1e15}, "target"),
    ({"target_date": "2025-02-30"}, "target_date"),
    ({"target_date": "1900-01-01"}, "target_date"),
    ({"ppa_id": str(uuid.uuid4())}, "ppa_id"),
]


def test_invalid_indicators_and_actuals_are_422_naming_the_field(client, staff):
    ppa = create_ppa(client, staff, **YEAR_2025)
    url = f"{PPAS}/{ppa['id']}/indicators"
    valid = {"name": "n", "kind": "output", "baseline": 0, "target": 5, "target_date": "2025-06-01"}
    for field in ("name", "kind", "baseline", "target", "target_date"):
        missing = {k: v for k, v in valid.items() if k != field}
        assert_error(client.post(url, json=missing, headers=staff.headers), 422, field)
    for changes, field in INVALID_INDICATORS:
        body = {**valid, **changes}
        assert_error(client.post(url, json=body, headers=staff.headers), 422, field)
    assert listed(client, staff, ppa["id"]) == []

    made = indicator(client, staff, ppa["id"])
    for changes, field in [*INVALID_INDICATORS[:-1], ({"name": None}, "name")]:
        assert_error(
            client.patch(f"{url}/{made['id']}", json=changes, headers=staff.headers), 422, field
        )
    actuals = f"{url}/{made['id']}/actuals"
    # Two days ahead: past today in every time zone.
    future = str(date.today() + timedelta(days=2))
    for body, field in [
        ({"value": 1}, "period_end"),
        ({"period_end": "2025-03-31"}, "value"),
        ({"period_end": "2025-03-31", "value": "many"}, "value"),
        ({"period_end": future, "value": 1}, "period_end"),
        ({"period_end": "2025-03-31", "value": 1, "note": "n" * 5001}, "note"),
    ]:
        assert_error(client.post(actuals, json=body, headers=staff.headers), 422, field)
    [found] = listed(client, staff, ppa["id"])
    assert (found["actuals"], found["version"]) == ([], 1)


def test_an_actual_the_indicator_cannot_take_is_refused_naming_the_field(client, staff):
    ppa = create_ppa(client, staff, **YEAR_2025)
    households = indicator(client, staff, ppa["id"])  # a count: 10 -> 110
    share = indicator(
        client, staff, ppa["id"], name="Literacy", unit="% of adults", baseline=60, target=90
    )
    for made, period, value, field, words in [
        (households, "2025-03-31", -1, "value", "cannot be negative"),
        (share, "2025-03-31", -5, "value", "cannot be negative"),
        (share, "2025-03-31", "100.01", "value", "cannot be above 100"),
        # Before the PPA started (1 Jan 2025): not its work.
        (households, "2024-12-31", 20, "period_end", "Wed 1 Jan 2025"),
    ]:
        error = assert_error(
            record(client, staff, ppa["id"], made["id"], period, value), 422, field
        )
        assert words in error["message"], (value, error)
    assert all(found["actuals"] == [] for found in listed(client, staff, ppa["id"]))

    # The limits themselves are values it can take.
    assert record(client, staff, ppa["id"], share["id"], "2025-01-01", 100).status_code == 201
    assert record(client, staff, ppa["id"], households["id"], "2025-01-01", 0).status_code == 201

    # A net change (baseline below 0) and a growth rate (target above 100 %).
    change = indicator(client, staff, ppa["id"], name="Net migration", baseline=-40, target=0)
    growth = indicator(client, staff, ppa["id"], name="Income growth", unit="%", target=150)
    points = indicator(client, staff, ppa["id"], unit="percentage points", baseline=-5, target=5)
    for made, value in [(change, -55), (growth, 130), (points, -7)]:
        reply = record(client, staff, ppa["id"], made["id"], "2025-06-30", value)
        assert reply.status_code == 201, reply.text


def test_an_actual_wrong_in_two_fields_is_refused_naming_both_at_once(client, staff):
    ppa = create_ppa(client, staff, **YEAR_2025)
    share = indicator(client, staff, ppa["id"], unit="%", baseline=60, target=90)

    refused = record(client, staff, ppa["id"], share["id"], "2024-12-31", 120)

    error = assert_error(refused, 422, "period_end")
    named = {detail["field"]: detail["message"] for detail in error["details"]}
    assert named.keys() == {"period_end", "value"}, error
    assert "before the PPA's start date (Wed 1 Jan 2025)" in named["period_end"]
    assert named["value"].startswith("cannot be above 100"), named
    assert listed(client, staff, ppa["id"])[0]["actuals"] == []


def _edit(client, caller, ppa_id: str, indicator_id: str, **changes: Any):
    url = f"{PPAS}/{ppa_id}/indicators/{indicator_id}"
    return client.patch(url, json=changes, headers=caller.headers)


def _problems(response) -> dict[str, str]:
    error = assert_error(response, 422)
    return {detail["field"]: detail["message"] for detail in error["details"]}


def test_an_indicator_edit_that_would_break_recorded_actuals_is_refused_naming_them(client, staff):
    ppa = create_ppa(client, staff, **YEAR_2025)
    adults = indicator(client, staff, ppa["id"], name="Adults", unit="adults", baseline=60)
    for period, value in [("2025-03-31", 120), ("2025-06-30", "130.5"), ("2025-09-30", 80)]:
        assert record(client, staff, ppa["id"], adults["id"], period, value).status_code == 201

    # Counted in % of adults, two of its actuals could not be.
    refused = _edit(client, staff, ppa["id"], adults["id"], unit="% of adults", target=90)
    assert _problems(refused) == {
        "unit": "2 recorded actuals are above 100 (120 for the period ending Mon 31 Mar 2025, "
        "130.5 for the period ending Mon 30 Jun 2025), which the indicator could not take as "
        "a percentage (% of adults); delete them first"
    }
    [kept] = listed(client, staff, ppa["id"])
    assert (kept["unit"], kept["target"], kept["version"]) == ("adults", 110, 1)

    # Every rule an edit would break at once, each beside the field that makes it apply.
    change = indicator(
        client, staff, ppa["id"], name="Change", unit="points", baseline=-10, target=90
    )
    for period, value in [("2025-03-31", -5), ("2025-06-30", 120)]:
        assert record(client, staff, ppa["id"], change["id"], period, value).status_code == 201
    assert _problems(_edit(client, staff, ppa["id"], change["id"], baseline=0, unit="%")) == {
        "baseline": "1 recorded actual is negative (-5 for the period ending Mon 31 Mar "
        "2025), which the indicator could not take once its baseline and target are not "
        "negative; delete it first",
        "unit": "1 recorded actual is above 100 (120 for the period ending Mon 30 Jun 2025), "
        "which the indicator could not take as a percentage (%); delete it first",
    }

    # What breaks no actual is saved: a name, a kind, a target date, a target.
    harmless = {"name": "Adults served", "kind": "output", "target_date": "2025-06-30"}
    saved = _edit(client, staff, ppa["id"], adults["id"], **harmless, target=300)
    assert saved.status_code == 200, saved.text
    # The actuals deleted, the percentage is saved.
    for actual in saved.json()["actuals"][1:]:
        url = f"{PPAS}/{ppa['id']}/indicators/{adults['id']}/actuals/{actual['id']}"
        assert client.delete(url, headers=staff.headers).status_code == 204
    saved = _edit(client, staff, ppa["id"], adults["id"], unit="% of adults", target=90)
    assert saved.status_code == 200, saved.text


def test_moving_a_ppas_start_after_recorded_actuals_is_refused_naming_them(client, staff):
    ppa = create_ppa(client, staff, **YEAR_2025)
    water = indicator(client, staff, ppa["id"], name="Households with water")
    wells = indicator(client, staff, ppa["id"], name="Wells dug", unit="wells", baseline=0)
    for made, period in [(water, "2025-03-31"), (water, "2025-06-30"), (wells, "2025-02-28")]:
        assert record(client, staff, ppa["id"], made["id"], period, 20).status_code == 201
    url = f"{PPAS}/{ppa['id']}"

    later = {"start_date": "2025-04-01", "target_end_date": "2025-03-01"}
    assert _problems(client.patch(url, json=later, headers=staff.headers)) == {
        "target_end_date": "must not be before start_date",
        "start_date": "2 recorded actuals of its indicators would end before it (“Wells dug” "
        "for the period ending Fri 28 Feb 2025, “Households with water” for the period ending "
        "Mon 31 Mar 2025), and an actual measures the PPA's work; delete them first or start "
        "the PPA on Fri 28 Feb 2025 or earlier",
    }
    assert get_ppa(client, staff, ppa["id"])["start_date"] == "2025-01-01"

    # A start no actual ends before, an earlier one, none: saved.
    for start in ("2025-02-28", "2024-07-01", None):
        moved = client.patch(url, json={"start_date": start}, headers=staff.headers)
        assert moved.status_code == 200, moved.text
        assert moved.json()["start_date"] == start


def test_one_actual_per_period_even_when_two_arrive_at_once(client, staff, manager):
    ppa = create_ppa(client, staff, **YEAR_2025)
    made = indicator(client, staff, ppa["id"])
    assert record(client, staff, ppa["id"], made["id"], "2025-03-31", 40).status_code == 201
    error = assert_error(
        record(client, manager, ppa["id"], made["id"], "2025-03-31", 41), 409, "period_end"
    )
    assert "already recorded" in error["message"]

    results = run_concurrently(
        [
            (lambda value=value: record(client, staff, ppa["id"], made["id"], "2025-06-30", value))
            for value in (50, 51)
        ]
    )
    assert sorted(r.status_code for r in results) == [201, 409], [r.text for r in results]
    assert_error(next(r for r in results if r.status_code == 409), 409, "period_end")
    # Different periods at once are all kept.
    periods = ["2025-07-31", "2025-08-31", "2025-09-30"]
    results = run_concurrently(
        [(lambda p=p: record(client, staff, ppa["id"], made["id"], p, 60)) for p in periods]
    )
    assert [r.status_code for r in results] == [201, 201, 201], [r.text for r in results]
    [found] = listed(client, staff, ppa["id"])
    assert [a["period_end"] for a in found["actuals"]] == [
        "2025-09-30",
        "2025-08-31",
        "2025-07-31",
        "2025-06-30",
        "2025-03-31",
    ]


def test_indicator_edits_honour_if_match_and_belong_to_their_ppa(client, staff):
    ppa = create_ppa(client, staff, **YEAR_2025)
    other = create_ppa(client, staff, title="Other")
    made = indicator(client, staff, ppa["id"])
    url = f"{PPAS}/{ppa['id']}/indicators/{made['id']}"

    def at(version: int) -> dict[str, str]:
        return {**staff.headers, "If-Match": f'"{version}"'}

    changed = client.patch(url, json={"target": 210, "name": "Homes with water"}, headers=at(1))
    assert changed.status_code == 200, changed.text
    assert (changed.json()["target"], changed.json()["version"]) == (210, 2)
    assert changed.headers["ETag"] == '"2"'
    assert changed.json()["updated_by"] == str(staff.user_id)
    assert_error(client.patch(url, json={"target": 5}, headers=at(1)), 412)
    assert_error(client.delete(url, headers=at(1)), 412)

    # Reached through another PPA, the indicator and its actuals do not exist.
    assert record(client, staff, ppa["id"], made["id"], "2025-03-31", 1).status_code == 201
    actual = listed(client, staff, ppa["id"])[0]["actuals"][0]
    elsewhere = f"{PPAS}/{other['id']}/indicators/{made['id']}"
    assert_error(client.patch(elsewhere, json={"name": "x"}, headers=staff.headers), 404)
    assert_error(client.delete(elsewhere, headers=staff.headers), 404)
    assert_error(record(client, staff, other["id"], made["id"], "2025-04-30", 1), 404)
    assert_error(client.delete(f"{elsewhere}/actuals/{actual['id']}", headers=staff.headers), 404)
    second = indicator(client, staff, ppa["id"], name="Second")
    wrong = f"{PPAS}/{ppa['id']}/indicators/{second['id']}/actuals/{actual['id']}"
    assert_error(client.delete(wrong, headers=staff.headers), 404)
    assert_error(client.delete(f"{url}/actuals/{uuid.uuid4()}", headers=staff.headers), 404)

    # Deleting the indicator takes its actuals along.
    assert client.delete(url, headers=at(2)).status_code == 204
    assert [i["name"] for i in listed(client, staff, ppa["id"])] == ["Second"]
    assert_error(client.delete(f"{url}/actuals/{actual['id']}", headers=staff.headers), 404)


def test_only_the_ppas_owners_and_managers_write_its_m_and_e(
    client, staff, other_staff, manager, database
):
    ppa = create_ppa(client, staff, **YEAR_2025)
    made = indicator(client, staff, ppa["id"])
    url = f"{PPAS}/{ppa['id']}/indicators"
    actual = record(client, staff, ppa["id"], made["id"], "2025-02-28", 20).json()
    body = {
        "name": "Mine",
        "kind": "output",
        "baseline": 0,
        "target": 1,
        "target_date": "2025-05-01",
    }
    update = {"as_of": "2025-03-01", "narrative": "All good"}
    for response in (
        client.post(url, json=body, headers=other_staff.headers),
        client.patch(f"{url}/{made['id']}", json={"target": 1}, headers=other_staff.headers),
        client.delete(f"{url}/{made['id']}", headers=other_staff.headers),
        record(client, other_staff, ppa["id"], made["id"], "2025-03-31", 99),
        client.delete(f"{url}/{made['id']}/actuals/{actual['id']}", headers=other_staff.headers),
        client.post(f"{PPAS}/{ppa['id']}/updates", json=update, headers=other_staff.headers),
    ):
        assert_error(response, 403)
    [found] = listed(client, other_staff, ppa["id"])  # reading is for everyone
    assert (found["target"], len(found["actuals"]), found["version"]) == (110, 1, 1)
    assert client.get(f"{PPAS}/{ppa['id']}/updates", headers=other_staff.headers).json() == []

    # Made a member, the other staff member may; so may a manager.
    added = client.patch(
        f"{PPAS}/{ppa['id']}",
        json={"member_ids": [str(other_staff.user_id)]},
        headers=staff.headers,
    )
    assert added.status_code == 200, added.text
    assert record(client, other_staff, ppa["id"], made["id"], "2025-03-31", 30).status_code == 201
    posted = client.post(f"{PPAS}/{ppa['id']}/updates", json=update, headers=other_staff.headers)
    assert posted.status_code == 201, posted.text
    assert client.post(url, json=body, headers=manager.headers).status_code == 201

    # Each change is in the record history, with who made it.
    with database.engine.connect() as connection:
        kept = connection.execute(
            text("SELECT record_type, action, actor_id FROM record_history ORDER BY seq")
        ).all()
    assert ("indicator_actual", "created", other_staff.user_id) in kept
    assert ("status_update", "created", other_staff.user_id) in kept
    assert ("indicator", "created", manager.user_id) in kept


# --- the status-update log -------------------------------------------------------------


def post_update(client, caller, ppa_id: str, **fields: Any):
    body = {"as_of": str(date.today()), "narrative": "Work goes on", **fields}
    return client.post(f"{PPAS}/{ppa_id}/updates", json=body, headers=caller.headers)


def test_the_update_log_is_newest_first_and_the_ppa_knows_its_last_update(client, staff):
    ppa = create_ppa(client, staff)
    assert ppa["reported_progress"] is None
    assert get_ppa(client, staff, ppa["id"])["last_update_on"] is None
    first = post_update(
        client,
        staff,
        ppa["id"],
        as_of="2026-10-31",
        narrative="Site survey done",
        progress=25,
        issues="Rains delayed the survey",
        next_steps="Procure pipes",
    )
    assert first.status_code == 201, first.text
    made = first.json()
    assert (made["author_id"], made["progress"], made["ppa_progress"]) == (
        str(staff.user_id),
        25,
        0,
    )
    assert (made["issues"], made["next_steps"]) == ("Rains delayed the survey", "Procure pipes")
    # A later one, then one back-dated before both: the log orders them by their day.
    assert post_update(client, staff, ppa["id"], as_of="2026-11-30").status_code == 201
    late = post_update(client, staff, ppa["id"], as_of="2026-09-30", narrative="Forgot this")
    assert late.status_code == 201
    assert late.json()["progress"] is None
    log = client.get(f"{PPAS}/{ppa['id']}/updates", headers=staff.headers).json()
    assert [u["as_of"] for u in log] == ["2026-11-30", "2026-10-31", "2026-09-30"]
    assert get_ppa(client, staff, ppa["id"])["last_update_on"] == "2026-11-30"
    listed_ppa = client.get(PPAS, headers=staff.headers).json()["items"][0]
    assert listed_ppa["last_update_on"] == "2026-11-30"
    # The progress last reported: the latest update that reports one (beside the tasks').
    for read in (get_ppa(client, staff, ppa["id"]), listed_ppa):
        assert (read["progress"], read["reported_progress"], read["reported_on"]) == (
            0,
            25,
            "2026-10-31",
        )
    assert_error(client.get(f"{PPAS}/{uuid.uuid4()}/updates", headers=staff.headers), 404)
    assert_error(post_update(client, staff, str(uuid.uuid4())), 404)


def test_invalid_updates_are_422_naming_the_field(client, staff):
    ppa = create_ppa(client, staff)
    # Two days ahead: past today in every time zone.
    future = str(date.today() + timedelta(days=2))
    for fields, field in [
        ({"narrative": ""}, "narrative"),
        ({"narrative": "   "}, "narrative"),
        ({"as_of": future}, "as_of"),
        ({"as_of": "someday"}, "as_of"),
        ({"progress": 101}, "progress"),
        ({"progress": -1}, "progress"),
        ({"progress": 12.5}, "progress"),
        ({"issues": "x" * 20_001}, "issues"),
        ({"ppa_progress": 90}, "ppa_progress"),
        ({"author_id": str(uuid.uuid4())}, "author_id"),
    ]:
        assert_error(post_update(client, staff, ppa["id"], **fields), 422, field)
    missing = client.post(
        f"{PPAS}/{ppa['id']}/updates", json={"narrative": "x"}, headers=staff.headers
    )
    assert_error(missing, 422, "as_of")
    assert client.get(f"{PPAS}/{ppa['id']}/updates", headers=staff.headers).json() == []


def test_updates_written_at_once_are_all_kept(client, staff, manager):
    ppa = create_ppa(client, staff)
    results = run_concurrently(
        [
            (
                lambda caller=caller: post_update(
                    client, caller, ppa["id"], narrative=str(caller.user_id)
                )
            )
            for caller in (staff, manager, staff)
        ]
    )
    assert [r.status_code for r in results] == [201, 201, 201], [r.text for r in results]
    log = client.get(f"{PPAS}/{ppa['id']}/updates", headers=staff.headers).json()
    assert len(log) == 3
    assert get_ppa(client, staff, ppa["id"])["last_update_on"] == str(date.today())


# --- the PPAs' monitoring, as the printed portfolio report lists it ----------------------


def test_the_monitoring_report_lists_each_ppas_indicators_and_latest_update(client, staff):
    year = {"fiscal_year": 2151}
    # Ended (target end in 2025) with no task done: at risk.
    water = create_ppa(client, staff, title="Water systems", status="ongoing", **year, **YEAR_2025)
    road = create_ppa(client, staff, title="Access road", **year)
    create_ppa(client, staff, title="Another year", fiscal_year=2152)
    made = indicator(client, staff, water["id"])  # 10 -> 110 households
    for period, value in [("2025-03-31", 60), ("2025-06-30", 140)]:
        assert record(client, staff, water["id"], made["id"], period, value).status_code == 201
    indicator(client, staff, water["id"], name="Wells dug", baseline=0, target=5)
    earlier = str(date.today() - timedelta(days=7))
    for as_of, narrative in [(str(date.today()), "Pumps installed"), (earlier, "Drilling")]:
        assert post_update(client, staff, water["id"], as_of=as_of, narrative=narrative).is_success

    response = client.get("/api/v1/reports/ppa-monitoring", params=year, headers=staff.headers)
    assert response.status_code == 200, response.text
    report = response.json()
    assert [p["title"] for p in report["ppas"]] == ["Access road", "Water systems"]
    listed_road, listed_water = report["ppas"]
    assert (listed_road["id"], listed_road["indicators"], listed_road["latest_update"]) == (
        road["id"],
        [],
        None,
    )
    assert (listed_water["status"], listed_water["at_risk"]) == ("ongoing", True)
    households, wells = listed_water["indicators"]
    assert (households["latest_value"], households["latest_period_end"]) == (140, "2025-06-30")
    assert (households["target"], households["attainment"], households["status"]) == (
        110,
        130.0,
        "on_track",
    )
    assert (wells["name"], wells["latest_value"], wells["attainment"]) == ("Wells dug", None, None)
    assert listed_water["latest_update"]["narrative"] == "Pumps installed"
    assert listed_water["latest_update"]["as_of"] == str(date.today())
    assert_error(
        client.get("/api/v1/reports/ppa-monitoring", params={"sdg": 99}, headers=staff.headers),
        422,
        "sdg",
    )
