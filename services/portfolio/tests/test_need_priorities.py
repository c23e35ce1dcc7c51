"""The needs prioritisation board: each need's priority score and why, the list sorted by
priority (managers' ranks first, then the score) over every page, ranks set, moved and
cleared by managers only (If-Match, concurrent moves never repeating or skipping a rank), the
board's summary, and its export in the board's order."""

from __future__ import annotations

import itertools
import random
import uuid
from typing import Any

import pytest
from sqlalchemy import Integer, literal, select, union_all

from obcms_platform.testing import assert_error
from obcms_platform.testing.service_probes import run_concurrently
from obcms_platform.vocabulary import Feasibility, UrgencyLevel
from portfolio_service.priorities.score import MAX_SCORE, priority_of, score_expression

from .helpers import NEEDS, create_need, create_ppa, csv_rows, workbook_rows

SUMMARY = f"{NEEDS}/priority-summary"


def board(client, caller, **filters: Any) -> list[dict[str, Any]]:
    """Every need of the board (sort=priority), read two at a time: the order holds across
    pages."""
    found: list[dict[str, Any]] = []
    while True:
        page = client.get(
            NEEDS,
            params={**filters, "sort": "priority", "limit": 2, "offset": len(found)},
            headers=caller.headers,
        )
        assert page.status_code == 200, page.text
        found += page.json()["items"]
        if len(found) >= page.json()["total"]:
            return found


def titles(needs: list[dict[str, Any]]) -> list[str]:
    return [need["title"] for need in needs]


def rank(client, caller, need: dict[str, Any], to: int | None, *, version: Any = None):
    """PUT the need's rank, If-Match its version (or `version`: another number, or ``*``)."""
    match = "*" if version == "*" else f'"{need["version"] if version is None else version}"'
    headers = {**caller.headers, "If-Match": match}
    return client.put(f"{NEEDS}/{need['id']}/rank", json={"rank": to}, headers=headers)


def ranked(client, caller, **filters: Any) -> dict[str, int]:
    """The ranks of the board's ranked needs, by title."""
    return {
        need["title"]: need["priority_rank"]
        for need in board(client, caller, **filters)
        if need["priority_rank"] is not None
    }


# --- the score --------------------------------------------------------------------------


def test_the_score_adds_each_factors_points_and_says_why():
    top = priority_of(UrgencyLevel.IMMEDIATE, 5, Feasibility.VERY_HIGH, 10_000)
    assert top.score == MAX_SCORE == 100
    assert top.explanation == (
        "Immediate urgency +40, severity 5/5 +30, very high feasibility +15, 10,000 people +15"
    )

    typical = priority_of(UrgencyLevel.SHORT_TERM, 4, Feasibility.HIGH, 2_500)
    assert [(part.factor, part.points, part.max_points) for part in typical.components] == [
        ("urgency", 30, 40),
        ("impact_severity", 24, 30),
        ("feasibility", 12, 15),
        ("affected_population", 13, 15),
    ]
    assert typical.score == 79

    unrecorded = priority_of(UrgencyLevel.LONG_TERM, 1, Feasibility.VERY_LOW, None)
    assert unrecorded.score == 5 + 6 + 0 + 0
    assert unrecorded.explanation.endswith("population not recorded +0")
    assert priority_of(UrgencyLevel.LONG_TERM, 1, Feasibility.VERY_LOW, 0).score == 11
    assert priority_of(UrgencyLevel.LONG_TERM, 1, Feasibility.VERY_LOW, 1).explanation.endswith(
        "1 person +1"
    )


def test_population_counts_on_a_log_scale_up_to_its_cap():
    points = [
        priority_of(UrgencyLevel.LONG_TERM, 1, Feasibility.VERY_LOW, people).components[3].points
        for people in (10, 100, 1_000, 10_000, 5_000_000)
    ]
    assert points == [4, 8, 11, 15, 15]


def test_the_sql_score_equals_the_explained_one_for_every_value(session):
    populations = (None, 0, 1, 9, 10, 99, 100, 316, 999, 1_000, 3_162, 9_999, 10_000, 10**9)
    cases = [
        (urgency, severity, feasibility, population)
        for urgency, severity, feasibility in itertools.product(
            UrgencyLevel, range(1, 6), Feasibility
        )
        for population in (populations if severity == 3 else (None, 250))
    ]
    statement = union_all(
        *(
            select(
                literal(index),
                score_expression(
                    literal(urgency.value),
                    literal(severity),
                    literal(feasibility.value),
                    literal(population, Integer),
                ),
            )
            for index, (urgency, severity, feasibility, population) in enumerate(cases)
        )
    )
    in_sql = dict(session.execute(statement).all())
    assert {index: int(score) for index, score in in_sql.items()} == {
        index: priority_of(*values).score for index, values in enumerate(cases)
    }


# --- the list in priority order ---------------------------------------------------------


def test_a_need_answers_its_score_and_why(client, staff):
    need = create_need(
        client,
        staff,
        urgency_level="immediate",
        impact_severity=4,
        feasibility="high",
        affected_population=2_500,
    )
    assert need["priority_score"] == 40 + 24 + 12 + 13
    assert need["priority_rank"] is None
    assert need["priority_explanation"] == (
        "Immediate urgency +40, severity 4/5 +24, high feasibility +12, 2,500 people +13"
    )
    assert need["priority_components"][0] == {
        "factor": "urgency",
        "reason": "Immediate urgency",
        "points": 40,
        "max_points": 40,
    }
    changed = client.patch(
        f"{NEEDS}/{need['id']}", json={"affected_population": None}, headers=staff.headers
    )
    assert changed.json()["priority_score"] == 40 + 24 + 12


def test_priority_order_puts_ranked_needs_first_then_the_rest_by_score(client, staff, manager):
    low = create_need(client, staff, title="Low", urgency_level="long_term", impact_severity=1)
    high = create_need(client, staff, title="High", urgency_level="immediate", impact_severity=5)
    middle = create_need(client, staff, title="Middle", urgency_level="short_term")
    newest = create_need(client, staff, title="Middle too", urgency_level="short_term")
    assert titles(board(client, staff)) == ["High", "Middle too", "Middle", "Low"]
    # The default order stays the newest first.
    listed = client.get(NEEDS, headers=staff.headers).json()["items"]
    assert titles(listed) == ["Middle too", "Middle", "High", "Low"]

    assert rank(client, manager, low, 1).status_code == 200
    assert rank(client, manager, middle, 2).status_code == 200
    assert titles(board(client, staff)) == ["Low", "Middle", "High", "Middle too"]
    assert [need["priority_rank"] for need in board(client, staff)] == [1, 2, None, None]
    assert newest["priority_score"] == middle["priority_score"]

    # The board's filters are the list's.
    only = board(client, staff, urgency_level=["immediate", "long_term"])
    assert titles(only) == ["Low", "High"]
    assert titles(board(client, staff, q="too")) == ["Middle too"]
    assert high["priority_score"] > middle["priority_score"]


def test_the_board_filters_by_community_and_coverage(client, staff, manager):
    ppa = create_ppa(client, staff, title="Water system")
    create_need(client, staff, title="Water", community="Datu Piang", ppa_ids=[ppa["id"]])
    create_need(client, staff, title="School", community="datu piang", urgency_level="immediate")
    create_need(client, staff, title="Clinic", community="Buluan")

    assert titles(board(client, staff, community="Datu Piang")) == ["School", "Water"]
    assert titles(board(client, staff, addressed=False)) == ["School", "Clinic"]
    addressed = board(client, staff, addressed=True)
    assert [need["ppa_ids"] for need in addressed] == [[ppa["id"]]]


def test_the_summary_counts_high_priority_needs_no_ppa_addresses(client, staff, manager):
    ppa = create_ppa(client, staff)
    urgent = {"urgency_level": "immediate", "impact_severity": 5, "feasibility": "high"}
    covered = create_need(client, staff, title="Covered", ppa_ids=[ppa["id"]], **urgent)
    create_need(client, staff, title="Uncovered", community="Buluan", **urgent)
    create_need(client, staff, title="Minor", urgency_level="long_term", impact_severity=1)
    assert covered["priority_score"] >= 60
    rank(client, manager, covered, 1)

    summary = client.get(SUMMARY, headers=staff.headers)
    assert summary.status_code == 200, summary.text
    assert summary.json() == {
        "needs": 3,
        "ranked": 1,
        "high_priority": 2,
        "uncovered": 2,
        "high_priority_uncovered": 1,
        "high_priority_score": 60,
    }
    filtered = client.get(SUMMARY, params={"community": "buluan"}, headers=staff.headers)
    assert filtered.json()["high_priority_uncovered"] == 1
    assert filtered.json()["needs"] == 1
    assert_error(client.get(SUMMARY, params={"sort": "size"}, headers=staff.headers), 422, "sort")
    assert client.get(SUMMARY).status_code == 401


# --- manual ranks -----------------------------------------------------------------------


def test_a_manager_sets_moves_and_clears_ranks_without_gaps(client, staff, manager):
    needs = {name: create_need(client, staff, title=name) for name in "ABCDE"}

    def put(name: str, to: int | None) -> dict[str, Any]:
        current = client.get(f"{NEEDS}/{needs[name]['id']}", headers=staff.headers).json()
        response = rank(client, manager, current, to)
        assert response.status_code == 200, response.text
        assert response.headers["ETag"] == f'"{response.json()["version"]}"'
        return dict(response.json())

    for name in "ABCD":
        put(name, 99)  # past the last: last
    assert ranked(client, staff) == {"A": 1, "B": 2, "C": 3, "D": 4}
    assert put("D", 1)["priority_rank"] == 1
    assert ranked(client, staff) == {"D": 1, "A": 2, "B": 3, "C": 4}
    put("A", 3)
    assert ranked(client, staff) == {"D": 1, "B": 2, "A": 3, "C": 4}
    put("E", 2)
    assert ranked(client, staff) == {"D": 1, "E": 2, "B": 3, "A": 4, "C": 5}
    assert put("B", None)["priority_rank"] is None
    assert ranked(client, staff) == {"D": 1, "E": 2, "A": 3, "C": 4}
    put("C", 4)  # its place already
    assert ranked(client, staff) == {"D": 1, "E": 2, "A": 3, "C": 4}

    # Deleting a ranked need closes its gap.
    deleted = client.delete(f"{NEEDS}/{needs['E']['id']}", headers=manager.headers)
    assert deleted.status_code == 204, deleted.text
    assert ranked(client, staff) == {"D": 1, "A": 2, "C": 3}


def test_a_move_is_in_the_need_history_and_moves_the_others_versions(client, staff, manager):
    first = create_need(client, staff, title="First")
    second = create_need(client, staff, title="Second")
    rank(client, manager, first, 1)
    moved = rank(client, manager, second, 1).json()
    assert moved["updated_by"] == str(manager.user_id)

    entry = client.get(f"{NEEDS}/{second['id']}/history", headers=staff.headers).json()["items"][0]
    assert entry["actor_id"] == str(manager.user_id)
    assert entry["record_version"] == moved["version"]
    assert entry["changes"] == [
        {"field": "priority_rank", "old": None, "new": 1, "redacted": False}
    ]
    assert entry["at"]

    pushed = client.get(f"{NEEDS}/{first['id']}", headers=staff.headers).json()
    assert pushed["priority_rank"] == 2
    assert pushed["version"] == first["version"] + 2
    shift = client.get(f"{NEEDS}/{first['id']}/history", headers=staff.headers).json()["items"][0]
    assert shift["changes"][0]["old"] == 1
    assert shift["changes"][0]["new"] == 2
    assert shift["cause"] == "“Second” moved to rank 1"
    # A stale copy of the pushed need is refused.
    assert_error(rank(client, manager, first, 1), 412, None)


def test_rank_refusals(client, staff, manager, other_staff):
    need = create_need(client, staff)
    url = f"{NEEDS}/{need['id']}/rank"
    # Staff, even the need's creator, may not rank it.
    for caller in (staff, other_staff):
        assert_error(rank(client, caller, need, 1), 403)
    assert client.put(url, json={"rank": 1}).status_code == 401
    for body in ({"rank": 0}, {"rank": -3}, {"rank": "first"}, {"rank": 100_001}, {}):
        assert_error(client.put(url, json=body, headers=manager.headers), 422, "rank")
    assert_error(client.put(url, json={"rank": 1, "x": 1}, headers=manager.headers), 422, "x")
    assert_error(rank(client, manager, {**need, "id": str(uuid.uuid4())}, 1), 404)
    assert_error(rank(client, manager, need, 1, version=need["version"] + 5), 412, None)
    after = client.get(f"{NEEDS}/{need['id']}", headers=staff.headers).json()
    assert after["priority_rank"] is None


def test_a_second_move_from_the_same_stale_copy_is_refused(client, staff, manager):
    need = create_need(client, staff)
    create_need(client, staff, title="Other")
    assert rank(client, manager, need, 1).status_code == 200
    assert_error(rank(client, manager, need, 2), 412, None)


def test_concurrent_moves_keep_ranks_one_to_n(client, staff, manager):
    needs = [create_need(client, staff, title=f"Need {number}") for number in range(10)]
    responses = run_concurrently([lambda n=n: rank(client, manager, n, 1) for n in needs])
    assert [response.status_code for response in responses] == [200] * 10
    assert sorted(ranked(client, staff).values()) == list(range(1, 11))

    # Out of order: each moves one need (read fresh) to any place, or clears it, at once.
    shuffle = random.Random(19)
    current = board(client, staff)
    targets = [shuffle.choice([1, 3, 7, 10, 40, None]) for _ in current]
    responses = run_concurrently(
        [
            lambda need=need, to=to: rank(client, manager, need, to, version="*")
            for need, to in zip(current, targets, strict=True)
        ]
    )
    assert {response.status_code for response in responses} == {200}
    after = ranked(client, staff)
    assert sorted(after.values()) == list(range(1, len(after) + 1))
    assert len(after) == sum(1 for target in targets if target is not None)


@pytest.mark.parametrize("sort", ["newest", "priority"])
def test_the_sort_is_refused_when_unknown_and_accepted_when_known(client, staff, sort):
    assert client.get(NEEDS, params={"sort": sort}, headers=staff.headers).status_code == 200
    assert_error(client.get(NEEDS, params={"sort": "rank"}, headers=staff.headers), 422, "sort")


# --- the export -------------------------------------------------------------------------


def test_the_board_exports_in_its_order_with_rank_and_score(client, staff, manager):
    for title, urgency in (("Road", "long_term"), ("Water", "immediate"), ("School", "short_term")):
        create_need(client, staff, title=title, urgency_level=urgency)
    road = next(need for need in board(client, staff) if need["title"] == "Road")
    rank(client, manager, road, 1)
    shown = board(client, staff)

    params = {"sort": "priority", "format": "csv"}
    rows = csv_rows(client.get(NEEDS, params=params, headers=staff.headers))
    assert [row["Need id"] for row in rows] == [need["id"] for need in shown]
    assert [(row["Rank"], row["Priority score (0-100)"]) for row in rows] == [
        ("1" if need["priority_rank"] else "", str(need["priority_score"])) for need in shown
    ]
    assert rows[1]["Why this score"].startswith("Immediate urgency +40, severity 3/5 +18")

    sheet = workbook_rows(
        client.get(NEEDS, params={**params, "format": "xlsx"}, headers=staff.headers)
    )
    header, *cells = sheet
    assert header[:3] == ("Rank", "Priority score (0-100)", "Title")
    assert [row[2] for row in cells] == titles(shown)
