"""The portfolio's lists exported in the background: a filtered PPA list and the funding
tranches, each the file its download gives, run by the portfolio worker's handler of its own
``export.requested`` (the tasks service's request is left to it). The mechanism's other cases
(progress, a dead worker, replays, failures, expiry, who may read) are the tasks service's
`test_export_jobs.py`: the same code, from `obcms_platform.export_jobs`."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from obcms_platform.bus.consumer import EventConsumer, Outcome
from obcms_platform.contracts import EXPORT_REQUESTED
from obcms_platform.registry import PORTFOLIO as PORTFOLIO_SERVICE
from obcms_platform.storage import LocalStorage
from obcms_platform.testing import assert_error
from obcms_platform.testing.service_fixtures import service_settings
from obcms_platform.vocabulary import PpaStatus, values
from portfolio_service.db import bus
from portfolio_service.events import handlers

from .helpers import PPAS, TRANCHES
from .test_exports import seed  # noqa: F401 - the seeded PPAs fixture

EXPORTS = "/api/v1/portfolio-exports"


@pytest.fixture
def files_dir(tmp_path: Path) -> Path:
    return tmp_path / "files"


@pytest.fixture
def settings(files_dir: Path, portfolio_db_url: str, redis_url: str) -> Any:
    return service_settings(
        PORTFOLIO_SERVICE, portfolio_db_url, redis_url, attachments_dir=files_dir
    )


def run_requested(database: Any, session: Session, files_dir: Path, job_id: str) -> Outcome:
    (payload,) = [
        payload
        for payload in session.scalars(
            select(bus.outbox.c.payload).where(bus.outbox.c.event_type == EXPORT_REQUESTED.name)
        )
        if payload["subject_id"] == job_id
    ]
    consumer = EventConsumer("portfolio", database, bus, handlers(LocalStorage(files_dir)))
    return consumer.handle(payload)


@pytest.mark.usefixtures("seed")
@pytest.mark.parametrize(
    ("path", "resource", "filters"),
    [
        (PPAS, "ppas", {"status": values(PpaStatus)[:4], "fiscal_year": 2026}),
        (TRANCHES, "funding-tranches", {}),
    ],
)
def test_a_job_gives_the_file_the_download_gives(
    client, staff, database, session, files_dir, path, resource, filters
):
    direct = client.get(path, params={**filters, "format": "csv"}, headers=staff.headers)
    assert direct.status_code == 200, direct.text
    body = {"resource": resource, "format": "csv", "filters": filters}
    response = client.post(EXPORTS, json=body, headers=staff.headers)
    assert response.status_code == 202, response.text
    job = response.json()

    assert run_requested(database, session, files_dir, job["id"]) is Outcome.HANDLED
    done = client.get(f"{EXPORTS}/{job['id']}", headers=staff.headers).json()
    assert done["status"] == "done"
    assert done["rows_done"] == len(direct.content.decode("utf-8-sig").splitlines()) - 1
    content = client.get(f"{EXPORTS}/{job['id']}/content", headers=staff.headers)
    assert content.content == direct.content
    assert (files_dir / "portfolio" / "exports" / job["id"]).read_bytes() == direct.content


def test_a_portfolio_list_filter_is_checked_by_its_own_model(client, staff):
    body = {"resource": "ppas", "format": "xlsx", "filters": {"fiscal_year": "next"}}
    assert_error(client.post(EXPORTS, json=body, headers=staff.headers), 422, "filters.fiscal_year")
    body = {"resource": "tasks", "format": "csv"}
    assert_error(client.post(EXPORTS, json=body, headers=staff.headers), 422, "resource")
