"""The portfolio dashboard: exact figures on a known dataset, and a bounded query count."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Iterator
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import insert, update

from obcms_platform.testing import assert_error
from obcms_platform.testing.service_probes import recorded_statements
from obcms_platform.zones import office_today
from portfolio_service.dashboard.service import last_quarter_end
from portfolio_service.funding.models import FundingTranche
from portfolio_service.indicators.models import Indicator, IndicatorActual
from portfolio_service.milestones.models import Milestone
from portfolio_service.needs.models import Need, NeedPpaLink
from portfolio_service.ppas.models import Ppa
from portfolio_service.progress.models import PpaTaskProjection
from portfolio_service.status_updates.models import StatusUpdate

from .helpers import DASHBOARD, PPAS


def day(offset: int) -> date:
    return office_today() + timedelta(days=offset)


def ppa_row(key: str, **fields: Any) -> dict[str, Any]:
    row: dict[str, Any] = {
        "id": uuid.uuid4(),
        "title": key,
        "category": "oobc_ppa",
        "status": "planning",
        "sector": None,
        "fiscal_year": None,
        "start_date": None,
        "target_end_date": None,
        "budget_allocation": None,
        "progress": 0,
        "approval_status": "draft",
    }
    row.update(fields)
    return row


def linked_tasks(session, *ppa_ids: uuid.UUID) -> None:
    """A task linked to each PPA (as the tasks service announced it): its progress counts."""
    session.execute(
        insert(PpaTaskProjection),
        [
            {"task_id": uuid.uuid4(), "ppa_id": ppa_id, "status": "in_progress", "version": 1}
            for ppa_id in ppa_ids
        ],
    )


def known_dataset(session) -> dict[str, dict[str, Any]]:
    rows = [
        # 50 % of its period gone, 10 % done: behind by 40 points -> at risk.
        ppa_row(
            "P1",
            status="ongoing",
            sector="economic",
            fiscal_year=2026,
            budget_allocation=1000,
            start_date=day(-50),
            target_end_date=day(50),
            progress=10,
        ),
        # 50 % gone, 40 % done: behind by 10 points -> fine.
        ppa_row(
            "P2",
            category="moa_ppa",
            status="ongoing",
            sector="social",
            fiscal_year=2026,
            budget_allocation=3000,
            start_date=day(-50),
            target_end_date=day(50),
            progress=40,
            approval_status="approved",
        ),
        ppa_row(
            "P3",
            category="obc_request",
            status="completed",
            fiscal_year=2027,
            progress=100,
            start_date=day(-300),
            target_end_date=day(-200),
        ),
        # Not started yet -> never at risk.
        ppa_row(
            "P4",
            sector="economic",
            fiscal_year=2026,
            budget_allocation=500,
            start_date=day(10),
            target_end_date=day(100),
        ),
        # On hold: not planning/ongoing -> not counted at risk.
        ppa_row(
            "P5",
            status="on_hold",
            sector="infrastructure",
            fiscal_year=2027,
            budget_allocation=2000,
            start_date=day(-100),
            target_end_date=day(-1),
        ),
        # Past its target end: 100 % of the period gone; 79 % done is 21 points behind.
        ppa_row(
            "P6",
            category="moa_ppa",
            sector="social",
            fiscal_year=2027,
            start_date=day(-200),
            target_end_date=day(-100),
            progress=79,
        ),
        # ... and 80 % done is exactly 20 points behind: not more than the margin.
        ppa_row(
            "P7",
            category="moa_ppa",
            sector="social",
            fiscal_year=2027,
            start_date=day(-200),
            target_end_date=day(-100),
            progress=80,
        ),
        ppa_row(
            "P8",
            category="obc_request",
            status="cancelled",
            sector="governance",
            progress=3,
            start_date=day(-100),
            target_end_date=day(-50),
        ),
    ]
    session.execute(insert(Ppa), rows)
    by_key = {row["title"]: row for row in rows}
    # P4 and P5 have no tasks linked: their 0 % measures nothing.
    linked_tasks(session, *(row["id"] for row in rows if row["title"] not in {"P4", "P5"}))
    tranches = [
        ("P1", "allocation", 1000),
        ("P1", "obligation", 600),
        ("P1", "disbursement", 300),
        ("P2", "allocation", 3000),
        ("P2", "adjustment", -500),
        ("P2", "obligation", 2000),
        ("P2", "disbursement", 1000),
        ("P5", "allocation", 2000),
        ("P5", "obligation", 100),
    ]
    session.execute(
        insert(FundingTranche),
        [
            {
                "id": uuid.uuid4(),
                "ppa_id": by_key[k]["id"],
                "tranche_type": t,
                "amount": Decimal(a),
                "date": day(-10),
            }
            for k, t, a in tranches
        ],
    )
    milestones = [
        ("M1", "P1", 0, "planned"),
        ("M2", "P2", 30, "at_risk"),
        ("M3", "P1", 31, "planned"),
        ("M4", "P1", -1, "delayed"),
        ("M5", "P2", 5, "completed"),
        ("M6", "P5", 3, "delayed"),
        ("M7", "P5", 10, "cancelled"),
    ]
    session.execute(
        insert(Milestone),
        [
            {"id": uuid.uuid4(), "ppa_id": by_key[p]["id"], "title": m, "date": day(o), "status": s}
            for m, p, o, s in milestones
        ],
    )
    session.commit()
    return by_key


def get_dashboard(client, caller, **params: Any) -> dict[str, Any]:
    response = client.get(DASHBOARD, params=params, headers=caller.headers)
    assert response.status_code == 200, response.text
    return dict(response.json())


def test_empty_portfolio(client, staff):
    board = get_dashboard(client, staff)
    assert board["total_ppas"] == 0
    assert (board["average_progress"], board["with_tasks"]) == (None, 0)
    assert (board["ongoing"], board["completed"], board["at_risk"]) == (0, 0, 0)
    assert set(board["by_status"].values()) == {0}
    assert board["budget"]["budget_allocation"] == 0
    assert board["budget"]["obligation_rate"] is None
    assert board["budget"]["disbursement_rate"] is None
    assert board["budget"]["utilization_rate"] is None
    assert board["upcoming_milestones"] == []
    assert board["needs"] == {"total": 0, "addressed": 0, "coverage_percent": None}
    assert board["indicators"] == {
        "total": 0,
        "on_track": 0,
        "behind": 0,
        "no_data": 0,
        "exceeded": 0,
        "average_attainment": None,
    }
    assert board["stale_updates"] == {"stale_days": 30, "total": 0, "ppas": []}


@pytest.fixture
def server_zone(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[[str], None]]:
    """Sets the process's local time zone (a server's clock; ``date.today()`` reads it)."""

    def set_zone(name: str) -> None:
        monkeypatch.setenv("TZ", name)
        time.tzset()

    yield set_zone
    monkeypatch.undo()
    time.tzset()


def test_the_dashboard_is_as_of_the_offices_day_whatever_the_servers_clock(
    client, staff, server_zone
):
    """A server keeps UTC, eight hours behind the office's mornings: the dashboard and the
    budget report are as of the office's day. Twelve hours behind and fourteen ahead of UTC,
    one of the two clocks is on another day than the office at any hour."""
    for zone in ("Etc/GMT+12", "Pacific/Kiritimati"):
        server_zone(zone)
        assert get_dashboard(client, staff)["as_of"] == office_today().isoformat(), zone
        report = client.get("/api/v1/reports/budget-execution", headers=staff.headers).json()
        assert report["as_of"] == office_today().isoformat(), zone


def test_exact_figures_for_the_whole_portfolio(client, staff, session):
    ppas = known_dataset(session)
    board = get_dashboard(client, staff)
    assert board["fiscal_year"] is None
    assert board["as_of"] == office_today().isoformat()
    assert board["total_ppas"] == 8
    assert board["by_status"] == {
        "planning": 3,
        "ongoing": 2,
        "completed": 1,
        "on_hold": 1,
        "cancelled": 1,
    }
    assert board["by_category"] == {"oobc_ppa": 3, "moa_ppa": 3, "obc_request": 2}
    assert board["by_sector"] == {
        "economic": 2,
        "social": 3,
        "infrastructure": 1,
        "environment": 0,
        "governance": 1,
        "peace_security": 0,
        "unspecified": 1,
    }
    assert board["by_approval_status"]["draft"] == 7
    assert board["by_approval_status"]["approved"] == 1
    assert sum(board["by_approval_status"].values()) == 8
    assert board["budget"] == {
        "budget_allocation": 6500,
        "allocations": 6000,
        "adjustments": -500,
        "allocated": 5500,
        "obligated": 2700,
        "disbursed": 1300,
        "obligation_rate": 49.09,  # 2700 / 5500
        "disbursement_rate": 48.15,  # 1300 / 2700
        "utilization_rate": 20.0,  # 1300 / 6500
    }
    # Of the 6 PPAs with tasks linked: P4 and P5 (none) are left out.
    assert (board["average_progress"], board["with_tasks"]) == (52.0, 6)  # (10+40+100+79+80+3)
    assert (board["ongoing"], board["completed"], board["at_risk"]) == (2, 1, 2)
    assert board["upcoming_days"] == 30  # M3, 31 days off, is not upcoming yet
    upcoming = board["upcoming_milestones"]
    assert [m["title"] for m in upcoming] == ["M1", "M6", "M2"]
    assert upcoming[0] == {
        "id": upcoming[0]["id"],
        "ppa_id": str(ppas["P1"]["id"]),
        "ppa_title": "P1",
        "title": "M1",
        "date": office_today().isoformat(),
        "status": "planned",
    }
    assert [m["date"] for m in upcoming] == [
        day(0).isoformat(),
        day(3).isoformat(),
        day(30).isoformat(),
    ]


def test_exact_figures_for_one_fiscal_year(client, staff, session):
    known_dataset(session)
    board = get_dashboard(client, staff, fiscal_year=2026)
    assert board["fiscal_year"] == 2026
    assert board["total_ppas"] == 3
    assert board["by_status"] == {
        "planning": 1,
        "ongoing": 2,
        "completed": 0,
        "on_hold": 0,
        "cancelled": 0,
    }
    assert board["by_category"] == {"oobc_ppa": 2, "moa_ppa": 1, "obc_request": 0}
    assert board["budget"] == {
        "budget_allocation": 4500,
        "allocations": 4000,
        "adjustments": -500,
        "allocated": 3500,
        "obligated": 2600,
        "disbursed": 1300,
        "obligation_rate": 74.29,
        "disbursement_rate": 50.0,
        "utilization_rate": 28.89,
    }
    assert (board["average_progress"], board["with_tasks"]) == (25.0, 2)  # P1, P2; not P4
    assert (board["ongoing"], board["completed"], board["at_risk"]) == (2, 0, 1)
    assert [m["title"] for m in board["upcoming_milestones"]] == ["M1", "M2"]
    assert get_dashboard(client, staff, fiscal_year=2030)["total_ppas"] == 0


def test_at_risk_follows_progress(client, staff, session):
    ppas = known_dataset(session)
    # P1 catches up (50 % gone, 30 % done: 20 points, not more) and P2 falls behind.
    session.execute(update(Ppa).where(Ppa.id == ppas["P1"]["id"]).values(progress=30))
    session.execute(update(Ppa).where(Ppa.id == ppas["P2"]["id"]).values(progress=29))
    session.commit()
    assert get_dashboard(client, staff)["at_risk"] == 2  # P2 and P6
    assert get_dashboard(client, staff, fiscal_year=2026)["at_risk"] == 1  # P2

    # The list names the ones the dashboard counts (its figure links there), and the rest.
    def titles(**params: object) -> set[str]:
        found = client.get(PPAS, params={"limit": 100, **params}, headers=staff.headers)
        assert found.status_code == 200, found.text
        return {item["title"] for item in found.json()["items"]}

    assert titles(at_risk="true") == {"P2", "P6"}
    assert titles(at_risk="true", fiscal_year=2026) == {"P2"}
    assert titles(at_risk="false") == set(ppas) - {"P2", "P6"}


def test_average_progress_rounds_half_up(client, staff, session):
    rows = [ppa_row(f"R{i}", progress=value) for i, value in enumerate([0, 0, 0, 1])]
    session.execute(insert(Ppa), rows)
    linked_tasks(session, *(row["id"] for row in rows))
    session.commit()
    assert get_dashboard(client, staff)["average_progress"] == 0.3  # 1 / 4 = 0.25


def test_upcoming_milestones_are_capped_and_soonest_first(client, staff, session):
    ppa_id = uuid.uuid4()
    session.execute(insert(Ppa), [ppa_row("Cap", id=ppa_id)])
    session.execute(
        insert(Milestone),
        [
            {"id": uuid.uuid4(), "ppa_id": ppa_id, "title": f"m{offset}", "date": day(offset)}
            for offset in range(29, -1, -2)  # 15 open milestones in the window
        ],
    )
    session.commit()
    upcoming = get_dashboard(client, staff)["upcoming_milestones"]
    assert [m["title"] for m in upcoming] == [f"m{offset}" for offset in range(1, 21, 2)]


def test_dashboard_validation_and_credentials(client, staff):
    assert_error(client.get(DASHBOARD), 401)
    assert_error(
        client.get(DASHBOARD, params={"fiscal_year": "x"}, headers=staff.headers),
        422,
        "fiscal_year",
    )
    assert_error(
        client.get(DASHBOARD, params={"fiscal_year": 1800}, headers=staff.headers),
        422,
        "fiscal_year",
    )


# --- M&E: indicator attainment and PPAs without a recent update -------------------------


def monitored_dataset(session) -> dict[str, dict[str, Any]]:
    """Five PPAs with indicators and status updates (created and last updated days ago)."""
    created = {"A": -100, "B": -100, "C": -10, "D": -100, "E": -90}
    rows = {
        "A": ppa_row("A", status="ongoing", fiscal_year=2026, start_date=day(-100)),
        "B": ppa_row("B", status="ongoing", fiscal_year=2025, start_date=day(-100)),
        "C": ppa_row("C", status="planning"),
        "D": ppa_row("D", status="completed"),
        "E": ppa_row("E", status="on_hold", fiscal_year=2025),
    }
    for key, row in rows.items():
        row["created_at"] = day(created[key])
    session.execute(insert(Ppa), list(rows.values()))
    session.execute(
        insert(StatusUpdate),
        [
            {
                "id": uuid.uuid4(),
                "ppa_id": rows[key]["id"],
                "as_of": day(offset),
                "narrative": "n",
                "ppa_progress": 0,
                "author_id": uuid.uuid4(),
            }
            for key, offset in (("A", -60), ("A", -40), ("B", -5))
        ],
    )
    # (PPA, baseline, target, the actual 50 days ago or None); period: day -100 to day 100.
    indicators = [
        ("A", 0, 100, 60),  # 60 % of the way, 25 % of the time: on track
        ("A", 50, 0, 45),  # decreasing, 10 % of the way: behind
        ("B", 0, 10, 15),  # 150 %, counted as 100 in the average: on track
        ("B", 0, 10, None),  # no actual: no data
        ("B", 5, 5, 6),  # target = baseline: no data
    ]
    for key, baseline, target, value in indicators:
        indicator_id = uuid.uuid4()
        session.execute(
            insert(Indicator),
            [
                {
                    "id": indicator_id,
                    "ppa_id": rows[key]["id"],
                    "name": "i",
                    "kind": "outcome",
                    "baseline": baseline,
                    "target": target,
                    "target_date": day(100),
                }
            ],
        )
        if value is not None:
            session.execute(
                insert(IndicatorActual),
                [
                    {
                        "id": uuid.uuid4(),
                        "indicator_id": indicator_id,
                        "period_end": day(-50),
                        "value": value,
                    }
                ],
            )
    session.commit()
    return rows


def test_indicator_attainment_for_the_portfolio_and_one_fiscal_year(client, staff, session):
    monitored_dataset(session)
    assert get_dashboard(client, staff)["indicators"] == {
        "total": 5,
        "on_track": 2,
        "behind": 1,
        "no_data": 2,
        "exceeded": 1,  # B's 150 %, on track too
        "average_attainment": 56.7,  # (60 + 10 + 100) / 3
    }
    assert get_dashboard(client, staff, fiscal_year=2026)["indicators"] == {
        "total": 2,
        "on_track": 1,
        "behind": 1,
        "no_data": 0,
        "exceeded": 0,
        "average_attainment": 35.0,
    }


def test_open_ppas_without_an_update_for_n_days_longest_silent_first(client, staff, session):
    rows = monitored_dataset(session)
    stale = get_dashboard(client, staff)["stale_updates"]
    # E: never updated, created 90 days ago; A: last update 40 days ago. B was updated 5 days
    # ago, C created 10 days ago, and D is completed.
    assert stale == {
        "stale_days": 30,
        "total": 2,
        "ppas": [
            {"id": str(rows["E"]["id"]), "title": "E", "status": "on_hold", "last_update_on": None},
            {
                "id": str(rows["A"]["id"]),
                "title": "A",
                "status": "ongoing",
                "last_update_on": day(-40).isoformat(),
            },
        ],
    }
    titles = [
        p["title"] for p in get_dashboard(client, staff, stale_days=7)["stale_updates"]["ppas"]
    ]
    assert titles == ["E", "A", "C"]
    assert [
        p["title"] for p in get_dashboard(client, staff, stale_days=60)["stale_updates"]["ppas"]
    ] == ["E"]
    in_2026 = get_dashboard(client, staff, fiscal_year=2026, stale_days=7)["stale_updates"]
    assert [p["title"] for p in in_2026["ppas"]] == ["A"]
    for bad in ("0", "366", "x"):
        assert_error(
            client.get(DASHBOARD, params={"stale_days": bad}, headers=staff.headers),
            422,
            "stale_days",
        )


def test_the_stale_list_is_capped_but_counts_them_all(client, staff, session):
    session.execute(
        insert(Ppa),
        [ppa_row(f"S{i:02}", status="ongoing", created_at=day(-40 - i)) for i in range(25)],
    )
    session.commit()
    stale = get_dashboard(client, staff)["stale_updates"]
    assert stale["total"] == 25
    assert [p["title"] for p in stale["ppas"]] == [f"S{i:02}" for i in range(24, 4, -1)]


def test_the_record_filters_scope_indicators_stale_ppas_and_under_obligation(
    client, staff, session
):
    rows = monitored_dataset(session)
    session.execute(update(Ppa).where(Ppa.id == rows["A"]["id"]).values(tags=["gad"], sdgs=[5]))
    # A and B under-obligated at the last quarter's end (10 % and 20 % obligated).
    quarter_end = last_quarter_end(office_today())
    session.execute(
        insert(FundingTranche),
        [
            {
                "id": uuid.uuid4(),
                "ppa_id": rows[key]["id"],
                "tranche_type": kind,
                "amount": amount,
                "date": quarter_end,
            }
            for key, obligated in (("A", 10), ("B", 20))
            for kind, amount in (("allocation", 100), ("obligation", obligated))
        ],
    )
    session.commit()
    everything = get_dashboard(client, staff, stale_days=7)
    assert everything["indicators"]["total"] == 5
    assert [p["title"] for p in everything["stale_updates"]["ppas"]] == ["E", "A", "C"]
    assert [p["title"] for p in everything["under_obligated"]["ppas"]] == ["A", "B"]

    # `stale_days` still says which are stale; the tag (or the goal) says which PPAs count.
    for scope in ({"tag": "gad"}, {"sdg": 5}):
        tagged = get_dashboard(client, staff, stale_days=7, **scope)
        assert tagged["total_ppas"] == 1
        assert tagged["indicators"] == {
            "total": 2,
            "on_track": 1,
            "behind": 1,
            "no_data": 0,
            "exceeded": 0,
            "average_attainment": 35.0,
        }
        assert tagged["stale_updates"]["stale_days"] == 7
        assert [p["title"] for p in tagged["stale_updates"]["ppas"]] == ["A"]
        assert [p["title"] for p in tagged["under_obligated"]["ppas"]] == ["A"]
        assert tagged["under_obligated"]["total"] == 1
    nothing = get_dashboard(client, staff, tag="peace")
    assert nothing["indicators"]["total"] == 0
    assert nothing["stale_updates"]["total"] == 0
    assert nothing["under_obligated"]["total"] == 0


# --- query count ------------------------------------------------------------------------


def bulk_portfolio(session, count: int) -> None:
    ppas = [
        ppa_row(
            f"Bulk {i}",
            category=["oobc_ppa", "moa_ppa", "obc_request"][i % 3],
            status=["planning", "ongoing", "completed"][i % 3],
            sector=["economic", "social", None][i % 3],
            fiscal_year=2026,
            budget_allocation=1000 + i,
            start_date=day(-30),
            target_end_date=day(30),
            progress=i % 100,
        )
        for i in range(count)
    ]
    session.execute(insert(Ppa), ppas)
    session.execute(
        insert(FundingTranche),
        [
            {"id": uuid.uuid4(), "ppa_id": p["id"], "tranche_type": t, "amount": 10, "date": day(0)}
            for p in ppas
            for t in ("allocation", "obligation", "disbursement")
        ],
    )
    session.execute(
        insert(Milestone),
        [
            {"id": uuid.uuid4(), "ppa_id": p["id"], "title": "m", "date": day(i % 40)}
            for i, p in enumerate(ppas)
        ],
    )
    indicators = [
        {
            "id": uuid.uuid4(),
            "ppa_id": p["id"],
            "name": "i",
            "kind": "output",
            "baseline": 0,
            "target": 10,
            "target_date": day(30),
        }
        for p in ppas
    ]
    session.execute(insert(Indicator), indicators)
    session.execute(
        insert(IndicatorActual),
        [
            {"id": uuid.uuid4(), "indicator_id": i["id"], "period_end": day(-d), "value": d}
            for i in indicators
            for d in (1, 2)
        ],
    )
    session.execute(
        insert(StatusUpdate),
        [
            {
                "id": uuid.uuid4(),
                "ppa_id": p["id"],
                "as_of": day(-(i % 60)),
                "narrative": "n",
                "ppa_progress": 0,
                "author_id": uuid.uuid4(),
            }
            for i, p in enumerate(ppas)
        ],
    )
    needs = [{"id": uuid.uuid4(), "title": f"need {i}"} for i in range(count)]
    session.execute(insert(Need), needs)
    session.execute(
        insert(NeedPpaLink),
        [{"need_id": n["id"], "ppa_id": p["id"]} for n, p in zip(needs[::2], ppas, strict=False)],
    )
    session.commit()


def dashboard_statements(client, staff) -> tuple[list[tuple[str, Any]], dict[str, Any]]:
    get_dashboard(client, staff)  # warm up: the connection, the token verifier
    with recorded_statements(client.app.state.database.engine) as statements:
        board = get_dashboard(client, staff, fiscal_year=2026)
        board_all = get_dashboard(client, staff)
    assert board["total_ppas"] == board_all["total_ppas"]
    return statements, board


def test_query_count_does_not_grow_with_the_portfolio(client, staff, session):
    bulk_portfolio(session, 5)
    small, small_board = dashboard_statements(client, staff)
    assert small_board["total_ppas"] == 5
    bulk_portfolio(session, 195)
    large, large_board = dashboard_statements(client, staff)
    assert large_board["total_ppas"] == 200
    assert large_board["needs"]["total"] == 200
    assert large_board["needs"]["addressed"] == 3 + 98  # every other need of each batch
    assert len(large_board["upcoming_milestones"]) == 10
    assert large_board["indicators"]["total"] == 200
    assert large_board["stale_updates"]["total"] > 20
    assert len(large) == len(small)
    assert len(large) <= 2 * 7  # two requests, a handful of aggregate statements each


def test_the_dashboard_takes_four_statements_filtered_or_not(client, staff, session):
    """The one-row aggregates (the PPAs' figures, their funding, the needs coverage, the
    indicators) come in one statement, the three lists in one each: every statement is a
    round trip and a parse in PostgreSQL."""
    bulk_portfolio(session, 20)
    get_dashboard(client, staff)  # warm up: the connection, the token verifier
    for params in ({}, {"fiscal_year": 2026}, {"province": "1908800000", "tag": "gad", "sdg": 5}):
        with recorded_statements(client.app.state.database.engine) as statements:
            board = get_dashboard(client, staff, **params)
        assert len(statements) == 4, [sql for sql, _ in statements]
        assert board["needs"]["total"] == 20
