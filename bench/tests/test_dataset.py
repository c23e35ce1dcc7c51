"""The dataset generator writes the stated volume through the services' code paths."""

from __future__ import annotations

import uuid
from datetime import date
from itertools import combinations

import pytest

from obcms_bench.dataset import BATCH, History, chunk_by_record, load
from obcms_bench.scales import parse_scale
from obcms_platform.testing.databases import PostgresServer, fresh_platform_databases


@pytest.fixture
def database_urls(postgres_server: PostgresServer) -> dict[str, str]:
    return fresh_platform_databases(postgres_server)


def test_a_tenth_of_ref_has_a_tenth_of_the_records_and_their_generated_tasks(
    database_urls: dict[str, str],
) -> None:
    summary = load(database_urls, parse_scale("x0.1"), 2027, "bench-password-1")

    counts = summary.counts
    assert counts["ppas"] == 10
    assert counts["events"] == 20
    assert counts["assessments"] == 5
    assert counts["leave_requests"] == 1
    assert counts["bookings"] == 2
    # Ten per PPA; events: 3 meetings (8), a workshop (12) and a conference (15) in every
    # ten (51 tasks); assessments: 10 + 15 + 20 + 26 + 6.
    assert counts["generated_tasks"] == 10 * 10 + 2 * 51 + 77
    assert counts["tasks"] == counts["generated_tasks"] + 50
    # Every task event reached the portfolio's projection (PPA progress comes from it).
    assert counts["projected_tasks"] == counts["tasks"]


def test_x10_is_ten_years_of_history_with_the_reference_year_as_dense_as_ref() -> None:
    scale = parse_scale("x10")
    history = History(2027, scale.years)
    count = scale.count("manual_tasks")
    days = [history.day(index, count) for index in range(count)]

    assert min(days).year == 2018
    assert max(days).year == 2027
    in_june = [day for day in days if (day.year, day.month) == (2027, 6)]
    ref_in_june = [
        day for day in (History(2027, 1).day(index, 500) for index in range(500)) if day.month == 6
    ]
    assert abs(len(in_june) - len(ref_in_june)) <= 1


def test_x100_is_fifty_storable_years_at_twice_the_density() -> None:
    scale = parse_scale("x100")
    history = History(2026, scale.years)
    count = scale.count("ppas")
    days = [history.day(index, count) for index in range(count)]

    # The services refuse dates before 1970: a century of history would not load.
    assert min(days) >= date(1977, 1, 1)
    assert max(days).year == 2026
    in_june = [day for day in days if (day.year, day.month) == (2026, 6)]
    assert 15 <= len(in_june) <= 18  # ref has about 8 PPAs in June


def test_delivery_chunks_never_split_the_events_of_one_locked_record() -> None:
    # Seven generated tasks of each of 120 PPAs, then 30 manual tasks (each its own record),
    # in the order `deliver` reads them: concurrent chunks must not share a PPA.
    keyed_ids = [(uuid.uuid4(), f"ppa-{ppa:03}") for ppa in range(120) for _ in range(7)]
    keyed_ids += [(uuid.uuid4(), f"task-{task:03}") for task in range(30)]
    record_of = dict(keyed_ids)

    chunks = chunk_by_record(keyed_ids)

    assert [event_id for chunk in chunks for event_id in chunk] == [id_ for id_, _ in keyed_ids]
    records = [{record_of[event_id] for event_id in chunk} for chunk in chunks]
    assert all(not first & second for first, second in combinations(records, 2))
    assert all(BATCH <= len(chunk) < BATCH + 7 for chunk in chunks[:-1])
