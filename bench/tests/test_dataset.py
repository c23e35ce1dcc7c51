"""The dataset generator writes the stated volume through the services' code paths, for an
office whose people the notifications service knows."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date
from itertools import combinations
from typing import Any

import pytest
from sqlalchemy import Select, func, select

from gateway_service.users.models import User
from notifications_service.recipients.models import Recipient
from obcms_bench.dataset import BATCH, DatasetSummary, History, chunk_by_record, load
from obcms_bench.measure import digest_job, empty_year
from obcms_bench.scales import STAFF, parse_scale, parse_scales
from obcms_platform.db import Database
from obcms_platform.schemas import EARLIEST_DATE
from obcms_platform.testing.databases import PostgresServer, fresh_platform_databases
from tasks_service.tasks.models import Task

YEAR = 2027


@dataclass(frozen=True)
class LoadedDataset:
    urls: dict[str, str]
    summary: DatasetSummary


@pytest.fixture(scope="module")
def tenth_of_ref(postgres_server: PostgresServer) -> LoadedDataset:
    urls = fresh_platform_databases(postgres_server)
    return LoadedDataset(urls, load(urls, parse_scale("x0.1"), YEAR, "bench-password-1"))


def _rows(url: str, statement: Select[Any]) -> list[Any]:
    database = Database(url, pool_size=1)
    try:
        with database.session() as session:
            return list(session.execute(statement).all())
    finally:
        database.dispose()


def test_a_tenth_of_ref_has_a_tenth_of_the_records_and_their_generated_tasks(
    tenth_of_ref: LoadedDataset,
) -> None:
    counts = tenth_of_ref.summary.counts
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


def test_a_tenth_of_ref_is_an_office_whose_people_the_notifications_service_knows(
    tenth_of_ref: LoadedDataset,
) -> None:
    urls = tenth_of_ref.urls
    admin_id = uuid.UUID(tenth_of_ref.summary.admin_id)
    person = (User.id, User.full_name, User.email, User.time_zone)
    staff = _rows(urls["gateway"], select(*person).where(User.id != admin_id))
    known = (Recipient.user_id, Recipient.full_name, Recipient.email, Recipient.time_zone)
    recipients = _rows(urls["notifications"], select(*known).where(Recipient.user_id != admin_id))

    assert len(staff) == STAFF
    assert all(name and email and zone == "Asia/Manila" for _, name, email, zone in staff)
    assert set(recipients) == set(staff)
    # Every task is the admin's or a staff member's, the manual ones one in five the admin's.
    assignees = _rows(urls["tasks"], select(func.unnest(Task.assignee_ids)).distinct())
    assert {assignee for (assignee,) in assignees} <= {admin_id} | {row[0] for row in staff}
    manual = _rows(urls["tasks"], select(Task.assignee_ids).where(Task.auto_generated.is_(False)))
    assert sum(ids == [admin_id] for (ids,) in manual) == len(manual) // 5


def test_the_digest_at_eight_in_manila_emails_each_person_due_with_something_waiting(
    tenth_of_ref: LoadedDataset,
) -> None:
    jobs = digest_job(tenth_of_ref.urls["notifications"], YEAR)
    again = digest_job(tenth_of_ref.urls["notifications"], YEAR)

    digest = jobs["digest"]
    # Everyone with an address: the admin, as the gateway bootstraps it, has none.
    assert digest["due"] == STAFF
    assert digest["waiting"] > 0
    assert digest["sent"] == digest["waiting"]  # one email per person, none for no news
    assert jobs["task_reminders"]["sent"] >= digest["waiting"]
    # Measured in a transaction rolled back: a reused dataset measures the same.
    sent_and_due = {name: (job["sent"], job.get("due")) for name, job in jobs.items()}
    assert {name: (job["sent"], job.get("due")) for name, job in again.items()} == sent_and_due


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


def test_the_floors_empty_month_is_before_every_scales_history_and_a_date_the_platform_takes() -> (
    None
):
    year = date.today().year
    empty = empty_year(year)
    # x100 (50 years back) starts the year after; a scale of 500 years is still capped.
    for scale in parse_scales("ref,x10,x100,x500"):
        assert History(year, scale.years).first_day.year > empty
    assert date(empty, 6, 1) >= EARLIEST_DATE
