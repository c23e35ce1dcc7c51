"""The import page in a real browser (Debian's Chromium driven by Playwright), as a manager:
a workbook with one bad row is checked and the problem is shown beside its row, nothing
imported; the fixed workbook is checked and imported, and its PPAs are in the list. axe-core
at desktop and phone widths, and screenshots (test-artifacts/screenshots/import-*.png)."""

from __future__ import annotations

import io
import uuid
from collections.abc import Iterator
from pathlib import Path

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
    token_for,
)
from playwright.sync_api import Browser, Page, expect

IMPORT = "/oobc-management/portfolio/import/"
PPAS = "/oobc-management/portfolio/ppas/"
HEADERS = ["Title", "Category", "Status", "Start date"]


@pytest.fixture
def page(browser: Browser, gateway: ServedApp) -> Iterator[Page]:
    with httpx.Client(base_url=gateway.url, timeout=30) as client:
        manager = create_user(client, token_for(client, "admin", ADMIN_PASSWORD), "manager")
    with browser_session(browser, gateway.url, manager["username"], USER_PASSWORD, DESKTOP) as page:
        yield page


def saved_workbook(folder: Path, name: str, *rows: list[object]) -> Path:
    book = openpyxl.Workbook()
    for row in rows:
        book.active.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    path = folder / name
    path.write_bytes(buffer.getvalue())
    return path


def test_a_bad_row_is_shown_beside_its_row_then_the_fixed_file_imports(page: Page, tmp_path: Path):
    marker = uuid.uuid4().hex[:6]
    bad = saved_workbook(
        tmp_path,
        "ppas.xlsx",
        HEADERS,
        [f"Solar dryers {marker}", "OOBC PPA", "Planning", "2026-03-01"],
        [f"Fish ponds {marker}", "OOBC PPA", "Planning", "next spring"],
    )
    page.goto(PPAS)
    page.get_by_role("link", name="Import from Excel").click()
    page.get_by_label("Excel workbook (.xlsx)").set_input_files(bad)
    page.get_by_role("button", name="Check").click()

    problem = page.locator("#import-report tbody tr")
    expect(problem).to_have_count(1)
    expect(problem.locator("td").nth(0)).to_have_text("3")
    expect(problem.locator("td").nth(1)).to_have_text("Start date")
    expect(problem.locator("td").nth(2)).to_have_text("next spring is not a date (yyyy-mm-dd)")
    expect(page.get_by_role("link", name="Download the problems (CSV)")).to_be_visible()
    expect(page.get_by_role("button", name="Import 2 PPAs")).to_have_count(0)
    check_page(page, "import-problems")

    fixed = saved_workbook(
        tmp_path,
        "ppas-fixed.xlsx",
        HEADERS,
        [f"Solar dryers {marker}", "OOBC PPA", "Planning", "2026-03-01"],
        [f"Fish ponds {marker}", "OOBC PPA", "Planning", "2026-04-15"],
    )
    page.get_by_label("Excel workbook (.xlsx)").set_input_files(fixed)
    page.get_by_role("button", name="Check").click()
    expect(page.get_by_text("2 rows ready to import.")).to_be_visible()
    check_page(page, "import-ready")
    page.get_by_role("button", name="Import 2 PPAs").click()

    expect(page.get_by_text("2 PPAs imported.")).to_be_visible()
    check_page(page, "import-done")
    page.get_by_role("link", name="See the PPAs").click()
    page.goto(f"{PPAS}?q={marker}")
    expect(page.get_by_role("link", name=f"Fish ponds {marker}")).to_be_visible()
    expect(page.get_by_role("link", name=f"Solar dryers {marker}")).to_be_visible()
