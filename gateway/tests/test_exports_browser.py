"""The PPA list's Excel export in a real browser (Debian's Chromium driven by Playwright): a
staff user filters the list, opens the Export menu, downloads the Excel file, and it holds
exactly the PPAs the page shows (opened with openpyxl); a PDF link says it is preparing the
file until it comes. axe-core on the list with the menu open, at desktop and phone widths
(test-artifacts/screenshots/exports-*.png)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

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
from playwright.sync_api import Browser, Page, Route, expect

PPAS = "/oobc-management/portfolio/ppas/"
DASHBOARD = "/oobc-management/portfolio/"


@pytest.fixture(scope="module")
def me(gateway: ServedApp) -> dict[str, str]:
    with httpx.Client(base_url=gateway.url, timeout=30) as client:
        user: dict[str, str] = create_user(
            client, token_for(client, "admin", ADMIN_PASSWORD), "staff"
        )
        return user


@pytest.fixture
def page(browser: Browser, gateway: ServedApp, me: dict[str, str]) -> Iterator[Page]:
    with browser_session(browser, gateway.url, me["username"], USER_PASSWORD, DESKTOP) as page:
        yield page


def test_a_filtered_ppa_list_downloads_as_excel_with_the_rows_shown(
    page: Page, gateway: ServedApp, me: dict[str, str]
):
    marker = uuid.uuid4().hex[:8]
    with httpx.Client(base_url=gateway.url, timeout=30) as client:
        headers = token_for(client, me["username"], USER_PASSWORD)
        for index, sector in enumerate(("social", "economic", "social", "social")):
            body = {
                "title": f"Excel {marker} {index}",
                "category": "oobc_ppa",
                "sector": sector,
                "budget_allocation": f"{(index + 1) * 100000}.50",
                "start_date": f"2026-0{index + 1}-15",
            }
            created = client.post("/api/v1/ppas", json=body, headers=headers)
            assert created.status_code == 201, created.text

    page.goto(PPAS)
    page.fill("input[name=q]", marker)
    page.select_option("select[name=sector]", "social")
    page.get_by_role("button", name="Filter").click()
    rows = page.locator("table tbody tr")
    expect(rows).to_have_count(3)
    shown = rows.locator("td:first-child a").all_inner_texts()

    page.get_by_text("Export", exact=True).click()
    check_page(page, "exports-ppa-list")
    with page.expect_download() as downloading:
        page.get_by_role("link", name="Excel", exact=True).click()
    download = downloading.value
    assert download.suggested_filename.startswith("ppas-")
    assert download.suggested_filename.endswith(".xlsx")

    # A file object: openpyxl judges a path by its extension, and the download's has none.
    with open(download.path(), "rb") as saved:
        sheet = openpyxl.load_workbook(saved, read_only=True).worksheets[0]
        header, *cells = list(sheet.iter_rows(values_only=True))
    column = {name: index for index, name in enumerate(header)}
    assert [row[column["Title"]] for row in cells] == shown
    assert {row[column["Sector"]] for row in cells} == {"Social"}
    budgets = sorted(row[column["Budget allocation"]] for row in cells)
    assert budgets == [100000.5, 300000.5, 400000.5]
    assert all(row[column["Start date"]].year == 2026 for row in cells)


def test_a_pdf_link_says_it_is_preparing_the_file_until_it_comes(page: Page):
    """QA: the first portfolio PDF took 6 s with no sign that anything was happening."""
    held: list[Route] = []
    page.route("**/portfolio/report.pdf*", lambda route: held.append(route))  # answered later
    page.goto(DASHBOARD)
    link = page.get_by_role("link", name="Portfolio report (PDF)")
    with page.expect_download() as downloading:
        link.click()
        preparing = page.get_by_role("link", name="Preparing the PDF…")
        expect(preparing).to_have_attribute("aria-busy", "true")
        expect(page.get_by_role("status")).to_have_text("Preparing the PDF…")
        check_page(page, "exports-pdf-preparing")
        assert len(held) == 1
        held[0].continue_()
    download = downloading.value
    assert download.suggested_filename.startswith("portfolio-report-")
    assert download.suggested_filename.endswith(".pdf")
    with open(download.path(), "rb") as saved:
        assert saved.read(5) == b"%PDF-"
    expect(link).to_be_visible()  # its words back
    expect(link).not_to_have_attribute("aria-busy", "true")
    expect(page.get_by_role("status")).to_have_text(
        f"The PDF is ready: {download.suggested_filename}"
    )
