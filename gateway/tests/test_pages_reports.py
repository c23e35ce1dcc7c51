"""The portfolio's reports through the gateway: the budget-execution page (pesos, percent,
totals, filters; its CSV, Excel and PDF), the one-page PPA brief and the portfolio report as
PDF, read back with pypdf: their text holds the figures in words and pesos and their charts'
labels and values. Rendering happens in a worker process: the gateway's own never loads
WeasyPrint. A user without access gets a page saying so, not a PDF."""

from __future__ import annotations

import csv
import io
import random
import re
import sys
import time
import uuid
from datetime import date
from typing import Any

import httpx
import openpyxl
import psutil
import pytest
from gateway_helpers import ADMIN_PASSWORD, SCREENSHOTS, served, signed_in, token_for
from pypdf import PdfReader

DASHBOARD = "/oobc-management/portfolio/"
PPAS = "/oobc-management/portfolio/ppas/"
BUDGET_EXECUTION = "/oobc-management/portfolio/reports/budget-execution/"
REPORT = "/oobc-management/portfolio/report.pdf"
DOCUMENTS = SCREENSHOTS / "reports"


def pdf_text(response: httpx.Response, keep_as: str) -> tuple[int, str]:
    """(page count, text) of a PDF download, kept beside the screenshots as `keep_as`."""
    assert response.status_code == 200, response.text[:500]
    DOCUMENTS.mkdir(parents=True, exist_ok=True)
    (DOCUMENTS / keep_as).write_bytes(response.content)
    assert response.headers["content-type"] == "application/pdf"
    assert re.fullmatch(
        r'attachment; filename="[\w.-]+\.pdf"; ' r"filename\*=UTF-8''\S+\.pdf",
        response.headers["content-disposition"],
    )
    reader = PdfReader(io.BytesIO(response.content))
    text = "\n".join(page.extract_text() for page in reader.pages)
    return len(reader.pages), " ".join(text.split())


@pytest.fixture(scope="module")
def api(gateway) -> httpx.Client:
    client = httpx.Client(base_url=gateway.url, timeout=60)
    client.headers.update(token_for(client, "admin", ADMIN_PASSWORD))
    return client


def post(api: httpx.Client, path: str, body: dict[str, Any]) -> dict[str, Any]:
    response = api.post(f"/api/v1{path}", json=body)
    assert response.status_code in (200, 201), response.text
    return dict(response.json())


@pytest.fixture(scope="module")
def portfolio(api: httpx.Client) -> dict[str, Any]:
    """A fiscal year of its own: a social PPA with funding (a reversed obligation; tranches
    are dated on or before today, whatever the fiscal year), an indicator, a milestone and a
    status update; an economic one with nothing recorded."""
    year = random.randint(2100, 2199)
    marker = uuid.uuid4().hex[:6]
    ppa = post(
        api,
        "/ppas",
        {
            "title": f"Madrasah classrooms {marker}",
            "category": "moa_ppa",
            "status": "ongoing",
            "sector": "social",
            "appropriation_class": "co",
            "funding_source": "gaa",
            "fiscal_year": year,
            "start_date": f"{year}-01-06",
            "target_end_date": f"{year}-12-15",
            "budget_allocation": "250000",
            "implementing_partner": "Ministry of Basic Education",
            "coverage": ["1908807001"],
            "beneficiaries_targeted": 400,
        },
    )
    ppa_id = ppa["id"]
    for kind, amount in (("allocation", "200000"), ("obligation", "150000")):
        post(
            api,
            f"/ppas/{ppa_id}/funding",
            {"tranche_type": kind, "amount": amount, "date": "2026-02-01"},
        )
    mistaken = post(
        api,
        f"/ppas/{ppa_id}/funding",
        {"tranche_type": "disbursement", "amount": "90000", "date": "2026-03-01"},
    )
    post(api, f"/ppas/{ppa_id}/funding/{mistaken['id']}/reversal", {"reason": "wrong amount"})
    post(
        api,
        f"/ppas/{ppa_id}/funding",
        {"tranche_type": "disbursement", "amount": "60000", "date": "2026-03-02"},
    )
    post(
        api,
        f"/ppas/{ppa_id}/indicators",
        {
            "name": "Classrooms built",
            "kind": "output",
            "baseline": "0",
            "target": "12",
            "target_date": f"{year}-12-15",
        },
    )
    post(api, f"/ppas/{ppa_id}/milestones", {"title": "Groundbreaking", "date": f"{year}-04-01"})
    post(
        api,
        f"/ppas/{ppa_id}/updates",
        {"as_of": date.today().isoformat(), "narrative": "Foundations poured in four sites."},
    )
    other = post(
        api,
        "/ppas",
        {
            "title": f"Halal market study {marker}",
            "category": "oobc_ppa",
            "sector": "economic",
            "fiscal_year": year,
        },
    )
    return {"year": year, "ppa": ppa, "other": other}


def test_budget_execution_page_shows_pesos_percent_and_totals(make_client, portfolio):
    client = signed_in(make_client(), "admin", ADMIN_PASSWORD)
    year = portfolio["year"]

    page = client.get(BUDGET_EXECUTION, params={"fiscal_year": year})

    assert page.status_code == 200
    table = re.search(r'<table class="execution">.*?</table>', page.text, re.S)
    assert table
    rows = re.findall(r"<tr[^>]*>(.*?)</tr>", table.group(0), re.S)
    cells = [re.findall(r"<t[dh][^>]*>(.*?)</t[dh]>", row) for row in rows]
    # Sectors in their order (economic first); the obligation 150,000 of 200,000 allocated;
    # 60,000 disbursed once the 90,000 is reversed; the economic PPA has nothing to divide by.
    assert cells[2] == [
        str(year),
        "Social",
        "1",
        "₱250,000.00",
        "₱200,000.00",
        "₱150,000.00",
        "₱60,000.00",
        "—",
        "75.0 %",
        "40.0 %",
        "24.0 %",
    ]
    assert cells[1][:3] == [str(year), "Economic", "1"]
    assert cells[1][8:] == ["—", "—", "—"]
    assert cells[3][:6] == [
        "Total",
        "All sectors",
        "2",
        "₱250,000.00",
        "₱200,000.00",
        "₱150,000.00",
    ]
    assert 'data-chart="execution"' in page.text

    only_economic = client.get(BUDGET_EXECUTION, params={"fiscal_year": year, "sector": "economic"})
    assert "Social" not in re.search(r"<tbody>.*?</tbody>", only_economic.text, re.S).group(0)

    refused = client.get(BUDGET_EXECUTION, params={"fiscal_year": "soon"})
    assert refused.status_code == 422
    assert "fiscal_year" in refused.text


def test_budget_execution_files_carry_the_page_filters(make_client, portfolio):
    client = signed_in(make_client(), "admin", ADMIN_PASSWORD)
    year = portfolio["year"]
    page = client.get(BUDGET_EXECUTION, params={"fiscal_year": year})
    menu = re.search(r'<details class="export-menu">(.*?)</details>', page.text, re.S)
    assert menu
    links = {
        words: href.replace("&amp;", "&")
        for href, words in re.findall(
            r'<a href="([^"]+)" download(?: data-pdf)?>([^<]+)</a>', menu.group(1)
        )
    }
    assert set(links) == {"CSV", "Excel", "PDF"}

    rows = list(csv.DictReader(io.StringIO(client.get(links["CSV"]).content.decode("utf-8-sig"))))
    assert [(row["Fiscal year"], row["Sector"]) for row in rows] == [
        (str(year), "Economic"),
        (str(year), "Social"),
        ("Total", "All sectors"),
    ]
    assert rows[1]["Disbursed"] == "60000.00"

    sheet = openpyxl.load_workbook(io.BytesIO(client.get(links["Excel"]).content)).active
    header, *cells = list(sheet.iter_rows(values_only=True))
    assert cells[1][header.index("Obligation rate (%)")] == 75.0

    pages, text = pdf_text(client.get(links["PDF"]), "budget-execution.pdf")
    assert pages == 1
    for words in (
        "Budget execution",
        f"Fiscal year {year}",
        "Allocated, obligated and disbursed by sector",  # the chart's title
        "Social",
        "₱200,000.00",
        "75.0 %",
        "Total",
        "Page 1 of 1",
        # Its headings whole ("Budget alloca-tion", "Dis-burse-ment rate" before).
        "Budget allocation",
        "Obligation rate",
        "Disbursement rate",
        "Utilization",
    ):
        assert words in text, words
    assert not re.search(r"[a-z]- [a-z]", text), re.findall(r"\w+- \w+", text)
    assert client.get(BUDGET_EXECUTION + "export/", params={"format": "doc"}).status_code == 422


def test_the_ppa_brief_is_one_page_with_its_figures_and_chart(make_client, portfolio):
    client = signed_in(make_client(), "admin", ADMIN_PASSWORD)
    ppa = portfolio["ppa"]
    detail = client.get(f"{PPAS}{ppa['id']}/")
    assert (
        f'href="{PPAS}{ppa["id"]}/brief.pdf" download data-pdf>Download brief (PDF)' in detail.text
    )

    brief = client.get(f"{PPAS}{ppa['id']}/brief.pdf")
    pages, text = pdf_text(brief, "ppa-brief.pdf")

    # Named after the PPA (it was ppa-brief-<day>.pdf for every one).
    slug = ppa["title"].lower().replace(" ", "-")
    assert re.search(
        rf'filename="ppa-brief-{slug}-\d{{4}}-\d{{2}}-\d{{2}}\.pdf"',
        brief.headers["content-disposition"],
    )
    assert pages == 1
    for words in (
        ppa["title"],
        "MOA PPA · Social",  # codes in words
        "Capital outlay",
        "Ministry of Basic Education",
        "Alonganan",  # the coverage by name
        "₱250,000.00",
        "₱150,000.00 (75.0 %)",
        "₱60,000.00 (40.0 %)",
        "Classrooms built",
        "Groundbreaking",
        "Foundations poured in four sites.",
        "None reached yet, of 400 targeted",  # it read "None yet reached of 400 targeted"
        "Budget and funding",  # the chart: its title, series and printed amounts
        "Obligated",
        "Disbursed",
        "₱150,000",
        "Page 1 of 1",
        "Printed",
    ):
        assert words in text, words
    assert "social" not in text.replace("Social", "")
    # The chart was drawn in a worker process: the gateway's own never loaded WeasyPrint.
    assert "weasyprint" not in sys.modules


def test_a_full_ppa_brief_still_fits_one_page(make_client, api):
    """A PPA with all a brief shows at its fullest: a long summary and update, six indicators
    with actuals, eight milestones."""
    year = random.randint(2100, 2199)
    ppa = post(
        api,
        "/ppas",
        {
            "title": "Community water systems for IP and Moro settlements of Bañga, Pulangi valley",
            "category": "oobc_ppa",
            "sector": "infrastructure",
            "fiscal_year": year,
            "budget_allocation": "12500000",
            "summary": "Level II water systems, " * 40,
            "coverage": ["1908807001", "1204709000"],
            "tags": ["ip", "peace"],
            "sdgs": [6, 16],
            "implementing_partner": "Provincial engineering office",
        },
    )
    for index in range(6):
        post(
            api,
            f"/ppas/{ppa['id']}/indicators",
            {
                "name": f"Households served in cluster {index + 1}",
                "kind": "outcome",
                "unit": "households",
                "baseline": "0",
                "target": "250",
                "target_date": f"{year}-12-15",
            },
        )
    for index in range(8):
        post(
            api,
            f"/ppas/{ppa['id']}/milestones",
            {"title": f"Cluster {index + 1} handed over", "date": f"{year}-0{index + 1}-15"},
        )
    post(
        api,
        f"/ppas/{ppa['id']}/updates",
        {
            "as_of": date.today().isoformat(),
            "narrative": "Drilling continued in three clusters. " * 20,
            "issues": "Right-of-way agreements pending. " * 10,
            "next_steps": "Procure pumps and tanks. " * 10,
        },
    )
    client = signed_in(make_client(), "admin", ADMIN_PASSWORD)

    brief = client.get(f"{PPAS}{ppa['id']}/brief.pdf")
    pages, text = pdf_text(brief, "ppa-brief-full.pdf")

    # Its title in the name, cut; plain letters for old clients, as written in the UTF-8 one.
    words = "ppa-brief-community-water-systems-for-ip-and-moro-settlements-of-"
    disposition = brief.headers["content-disposition"]
    assert f'filename="{words}banga-{date.today().isoformat()}.pdf"' in disposition
    assert f"filename*=UTF-8''{words}ba%C3%B1ga-" in disposition
    assert pages == 1
    assert "Households served in cluster 6" in text
    assert "Cluster 8 handed over" in text
    assert "₱12,500,000.00" in text


def test_the_portfolio_report_has_the_dashboards_filters_tables_and_charts(make_client, portfolio):
    client = signed_in(make_client(), "admin", ADMIN_PASSWORD)
    year = portfolio["year"]
    dashboard = client.get(DASHBOARD, params={"fiscal_year": year})
    link = re.search(
        r'<a href="(/oobc-management/portfolio/report\.pdf[^"]*)" download data-pdf>',
        dashboard.text,
    )
    assert link
    assert f"fiscal_year={year}" in link.group(1)

    pages, text = pdf_text(client.get(link.group(1).replace("&amp;", "&")), "portfolio-report.pdf")

    assert pages >= 1
    for words in (
        "Portfolio report",
        f"Fiscal year {year}",
        "PPAs by status",
        "PPAs by sector",
        "Budget execution by sector",
        "Budget execution by fiscal year and sector",
        "₱250,000.00",
        "PPAs needing attention",
        "No status update for 30 days or more",
        f"Page 1 of {pages}",
    ):
        assert words in text, words


def _unused_year(api: httpx.Client) -> int:
    """A fiscal year no PPA of the session has yet (the report counts every PPA of its year;
    other tests draw years of this range too)."""
    while True:
        year = random.randint(2100, 2199)
        found = api.get("/api/v1/ppas", params={"fiscal_year": year, "limit": 1})
        if found.status_code == 200 and found.json()["total"] == 0:
            return year


def test_the_portfolio_report_lists_each_ppas_indicators_and_latest_update_and_whole_labels(
    make_client, api
):
    year = _unused_year(api)
    marker = uuid.uuid4().hex[:6]
    title = f"Community water systems for IP and Moro settlements of the Pulangi valley {marker}"
    ppa = post(
        api,
        "/ppas",
        {
            "title": title,
            "category": "oobc_ppa",
            "status": "ongoing",
            "sector": "peace_security",
            "fiscal_year": year,
            "start_date": "2025-01-01",
            "target_end_date": "2025-12-31",
        },
    )
    # A PPA in each other sector, each allocated: the budget-execution chart names six.
    for sector in ("economic", "social", "infrastructure", "environment", "governance"):
        other = post(
            api,
            "/ppas",
            {
                "title": f"{sector} {marker}",
                "category": "moa_ppa",
                "sector": sector,
                "fiscal_year": year,
            },
        )
        post(
            api,
            f"/ppas/{other['id']}/funding",
            {"tranche_type": "allocation", "amount": "1500000", "date": "2026-02-01"},
        )
    classes = post(
        api,
        f"/ppas/{ppa['id']}/indicators",
        {
            "name": "Classes held",
            "kind": "output",
            "unit": "classes",
            "baseline": "0",
            "target": "10",
            "target_date": "2025-12-31",
        },
    )
    post(
        api,
        f"/ppas/{ppa['id']}/indicators/{classes['id']}/actuals",
        {"period_end": "2025-06-30", "value": "13"},
    )
    post(
        api,
        f"/ppas/{ppa['id']}/indicators",
        {
            "name": "Adults who read",
            "kind": "outcome",
            "unit": "%",
            "baseline": "20",
            "target": "80",
            "target_date": "2025-12-31",
        },
    )
    today = date.today()
    post(
        api,
        f"/ppas/{ppa['id']}/updates",
        {"as_of": today.isoformat(), "narrative": f"Pumps installed {marker}.", "progress": 40},
    )
    client = signed_in(make_client(), "admin", ADMIN_PASSWORD)

    pages, text = pdf_text(
        client.get(REPORT, params={"fiscal_year": year}), "portfolio-report-monitoring.pdf"
    )

    assert pages >= 2  # the PPAs start on a page of their own
    for words in (
        "PPAs: indicators and latest status update (6)",
        title,
        "Ongoing · no tasks linked · At risk (behind schedule)",
        "Classes held (classes) 10 by Wed 31 Dec 2025 13 at Mon 30 Jun 2025",
        "130.0 % (target exceeded) On track",  # past its target, as on the PPA's page
        "Adults who read (%) 80 by Wed 31 Dec 2025 No actual yet",
        f"Latest update, {today.strftime('%a')} {today.day} {today.strftime('%b %Y')} "
        f"(progress reported: 40 %): Pumps installed {marker}.",
        "Latest update: none yet.",
        "No indicators yet.",
    ):
        assert words in text, words
    # The charts name each sector in full: nothing cut short ("Infrastr…", "Peace an…").
    assert "…" not in text
    assert text.count("Infrastructure") == 3  # its bar in each chart, and its table row


def test_no_pdf_for_a_ppa_the_user_cannot_read(make_client, portfolio):
    anonymous = make_client()
    for path in (f"{PPAS}{portfolio['ppa']['id']}/brief.pdf", REPORT, BUDGET_EXECUTION):
        response = anonymous.get(path)
        assert response.status_code == 303, path
        assert response.headers["location"].startswith("/accounts/login/?next=")
    client = signed_in(make_client(), "admin", ADMIN_PASSWORD)
    for missing in (uuid.uuid4(), "not-an-id"):
        response = client.get(f"{PPAS}{missing}/brief.pdf")
        assert response.status_code == 404
        assert response.headers["content-type"].startswith("text/html")


def _holds_weasyprint(process: psutil.Process) -> bool:
    try:
        return any("libpango" in mapped.path for mapped in process.memory_maps())
    except psutil.Error:  # ended meanwhile
        return False


def test_the_first_pdf_finds_a_worker_started_with_the_gateway(make_settings):
    """QA: the first portfolio PDF of a session took 6 s, later ones 1.5 s: its worker process
    started then (the gateway's modules, then WeasyPrint, seconds each). The gateway starts
    it as it starts, and the first document is made by it."""
    from gateway_service.app import create_app

    tests = psutil.Process()
    before = {child.pid for child in tests.children()}

    def started() -> list[psutil.Process]:
        return [child for child in tests.children() if child.pid not in before]

    with served(create_app(make_settings(pdf_warm_up=True))) as server:
        deadline = time.monotonic() + 60
        while not any(_holds_weasyprint(child) for child in started()):
            assert time.monotonic() < deadline, "no PDF worker was started with the gateway"
            time.sleep(0.2)
        warm = [child.pid for child in started()]
        with httpx.Client(base_url=server.url, timeout=60) as client:
            signed_in(client, "admin", ADMIN_PASSWORD)
            first = client.get(BUDGET_EXECUTION + "export/", params={"format": "pdf"})
        assert first.status_code == 200, first.text[:300]
        assert first.content.startswith(b"%PDF")
        assert [child.pid for child in started()] == warm  # made by it: none started


def test_under_obligated_says_the_day_it_is_judged_on_so_brief_and_dashboard_agree(
    make_client, api
):
    """One rule (obligated below 75 % of the allocation), each place saying when it judges
    it: a PPA obligated 60 % this quarter is under-obligated today in its brief and on its
    page, and none was at the end of the last quarter on the dashboard and in the report."""
    year = _unused_year(api)
    ppa = post(
        api,
        "/ppas",
        {"title": f"Halal processing {uuid.uuid4().hex[:6]}", "category": "oobc_ppa"}
        | {"fiscal_year": year, "budget_allocation": "4500000"},
    )
    today = date.today().isoformat()
    for kind, amount in (("allocation", "4500000"), ("obligation", "2700000")):
        post(
            api,
            f"/ppas/{ppa['id']}/funding",
            {"tranche_type": kind, "amount": amount} | {"date": today},
        )
    client = signed_in(make_client(), "admin", ADMIN_PASSWORD)

    _, brief = pdf_text(client.get(f"{PPAS}{ppa['id']}/brief.pdf"), "ppa-brief-under.pdf")
    assert (
        "₱2,700,000.00 (60.0 % · under-obligated: obligated below 75 % of the allocation today)"
        in brief
    )
    page = client.get(f"{PPAS}{ppa['id']}/").text
    assert "obligated below 75 % of the allocation today" in page

    board = client.get(DASHBOARD, params={"fiscal_year": year}).text
    section = board[board.index('id="under-obligated"') :]
    assert "No PPA was under-obligated at the end of" in section
    assert "A PPA's own page and brief judge it today." in section
    _, report = pdf_text(client.get(REPORT, params={"fiscal_year": year}), "report-under.pdf")
    assert re.search(r"0 under-obligated at the end of \d{4} Q[1-4]", report), report[:400]


def test_a_long_title_is_cut_between_words_in_the_briefs_file_name(make_client, api):
    """The brief's file name kept 60 characters of its title: "…-maguindanaon-cooperativ-"."""
    ppa = post(
        api,
        "/ppas",
        {
            "title": "Halal food processing livelihood for Maguindanaon cooperatives",
            "category": "oobc_ppa",
        },
    )
    client = signed_in(make_client(), "admin", ADMIN_PASSWORD)
    brief = client.get(f"{PPAS}{ppa['id']}/brief.pdf")
    assert brief.status_code == 200
    name = "ppa-brief-halal-food-processing-livelihood-for-maguindanaon"
    assert (
        f'filename="{name}-{date.today().isoformat()}.pdf"'
        in (brief.headers["content-disposition"])
    )
