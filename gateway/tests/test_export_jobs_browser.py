"""A background export in a real browser (Debian's Chromium driven by Playwright): a staff
user filters the PPA list past the threshold (3 rows here), picks Excel in its Export menu,
lands on the job's page while it waits, watches it finish as the worker writes it (htmx
polling), downloads the file (opened with openpyxl: the PPAs the page shows), and finds the
job in "My exports". axe-core and screenshots at desktop and phone widths
(test-artifacts/screenshots/export-job-*.png)."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable, Iterator

import httpx
import openpyxl
import pytest
from gateway_helpers import (
    ADMIN_PASSWORD,
    DESKTOP,
    USER_PASSWORD,
    ServedApp,
    browser_session,
    check_page,
    create_user,
    served,
    token_for,
)
from playwright.sync_api import Browser, Page, expect

from gateway_service.app import create_app
from gateway_service.settings import GatewaySettings
from obcms_platform.db import Database
from obcms_platform.export_jobs import ExportJobLimits, ExportRunner
from obcms_platform.storage import LocalStorage
from portfolio_service.exports.service import PORTFOLIO_EXPORTS

PPAS = "/oobc-management/portfolio/ppas/"


@pytest.fixture(scope="module")
def gateway(make_settings: Callable[..., GatewaySettings]) -> Iterator[ServedApp]:
    with served(create_app(make_settings(export_inline_max_rows=3))) as server:
        yield server


@pytest.fixture(scope="module")
def me(gateway: ServedApp) -> dict[str, str]:
    with httpx.Client(base_url=gateway.url, timeout=30) as client:
        user: dict[str, str] = create_user(
            client, token_for(client, "admin", ADMIN_PASSWORD), "staff", "Farida Ampatuan"
        )
        return user


@pytest.fixture
def page(browser: Browser, gateway: ServedApp, me: dict[str, str]) -> Iterator[Page]:
    with browser_session(browser, gateway.url, me["username"], USER_PASSWORD, DESKTOP) as page:
        yield page


def test_a_long_filtered_list_is_exported_in_the_background_and_downloaded(
    page: Page, gateway: ServedApp, me: dict[str, str], portfolio_database, service_files
):
    marker = uuid.uuid4().hex[:8]
    with httpx.Client(base_url=gateway.url, timeout=30) as client:
        headers = token_for(client, me["username"], USER_PASSWORD)
        for index, sector in enumerate(("social", "economic", "social", "social", "social")):
            body = {"title": f"Clinic {marker} {index}", "category": "oobc_ppa", "sector": sector}
            created = client.post("/api/v1/ppas", json=body, headers=headers)
            assert created.status_code == 201, created.text

    page.goto(PPAS)
    page.fill("input[name=q]", marker)
    page.select_option("select[name=sector]", "social")
    page.get_by_role("button", name="Filter").click()
    rows = page.locator("table tbody tr")
    expect(rows).to_have_count(4)
    shown = rows.locator("td:first-child a").all_inner_texts()

    page.get_by_text("Export", exact=True).click()
    expect(page.get_by_text("4 rows: the file is made in the background")).to_be_visible()
    page.get_by_role("button", name="Excel", exact=True).click()
    expect(page.get_by_role("heading", name="Export of the PPA list")).to_be_visible()
    expect(page.get_by_role("status").filter(has_text="Status")).to_contain_text("Queued")
    check_page(page, "export-job-queued")

    # The service's worker, woken by the job's event, writes it (a progress commit a row).
    job_id = uuid.UUID(page.url.rstrip("/").rsplit("/", 1)[1])
    database = Database(portfolio_database)
    runner = ExportRunner(
        PORTFOLIO_EXPORTS,
        database.session,
        LocalStorage(service_files),
        ExportJobLimits(progress_rows=1),
    )
    worker = threading.Thread(target=runner.run, args=(job_id,))
    worker.start()
    try:
        download_link = page.get_by_role("link", name="Download")
        expect(download_link).to_be_visible(timeout=20_000)
    finally:
        worker.join()
        database.engine.dispose()
    expect(page.get_by_role("status").filter(has_text="Status")).to_contain_text("Done")
    expect(page.get_by_text("4 rows,")).to_be_visible()
    check_page(page, "export-job-done")

    with page.expect_download() as downloading:
        download_link.click()
    download = downloading.value
    assert download.suggested_filename.startswith("ppas-")
    assert download.suggested_filename.endswith(".xlsx")
    with open(download.path(), "rb") as saved:
        sheet = openpyxl.load_workbook(saved, read_only=True).worksheets[0]
        header, *cells = list(sheet.iter_rows(values_only=True))
    column = {name: index for index, name in enumerate(header)}
    assert [row[column["Title"]] for row in cells] == shown
    assert {row[column["Sector"]] for row in cells} == {"Social"}

    page.goto("/exports/")
    job_row = page.locator("table tbody tr").filter(has_text="The PPA list (XLSX)")
    expect(job_row).to_have_count(1)
    expect(job_row).to_contain_text("Done")
    expect(job_row).to_contain_text("4 of 4")
    check_page(page, "export-job-list")
