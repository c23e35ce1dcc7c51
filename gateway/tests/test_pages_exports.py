"""The Export menu of the list pages: its links carry the page's filters, and the file they
download through the gateway holds exactly the rows the page shows (PPAs, also filtered by
the PPA record's province and tag; needs, assessments, my tasks)."""

from __future__ import annotations

import csv
import html
import io
import re
import uuid
from typing import Any

import httpx
import openpyxl
from gateway_helpers import ADMIN_PASSWORD, signed_in, submit

PPAS = "/oobc-management/portfolio/ppas/"
NEEDS = "/oobc-management/portfolio/needs/"
ASSESSMENTS = "/oobc-management/portfolio/assessments/"
MY_TASKS = "/oobc-management/staff/tasks/mine/"

MAGUINDANAO_DEL_SUR = "1908800000"
ALONGANAN = "1908807001"  # a barangay of Datu Piang, Maguindanao del Sur
MIDSAYAP = "1204709000"  # a municipality of Cotabato, Region XII


def export_links(page: httpx.Response) -> dict[str, str]:
    """The Export menu's links by their words (CSV, Excel)."""
    assert page.status_code == 200, page.text
    menu = re.search(r'<details class="export-menu">(.*?)</details>', page.text, re.S)
    assert menu, "the page has no Export menu"
    return {
        words: html.unescape(href)
        for href, words in re.findall(r'<a href="([^"]+)" download>([^<]+)</a>', menu.group(1))
    }


def shown_titles(page: httpx.Response, path: str) -> list[str]:
    """The titles of the records the list page shows, in its order."""
    pattern = rf'<a href="{re.escape(path)}[0-9a-f-]{{36}}/">([^<]+)</a>'
    return [html.unescape(title) for title in re.findall(pattern, page.text)]


def csv_column(response: httpx.Response, name: str) -> list[str]:
    assert response.status_code == 200, response.text
    assert response.headers["content-disposition"].startswith("attachment;")
    rows = csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"), newline=""))
    return [row[name] for row in rows]


def excel_column(response: httpx.Response, name: str) -> list[Any]:
    assert response.status_code == 200, response.text
    sheet = openpyxl.load_workbook(io.BytesIO(response.content), read_only=True).worksheets[0]
    header, *rows = list(sheet.iter_rows(values_only=True))
    return [row[header.index(name)] for row in rows]


def test_ppa_export_links_carry_the_filters_and_hold_the_rows_shown(make_client):
    client = signed_in(make_client(), "admin", ADMIN_PASSWORD)
    marker = uuid.uuid4().hex[:8]
    for index, sector in enumerate(("social", "social", "economic", "social")):
        data = {"title": f"Export {marker} {index}", "category": "moa_ppa", "sector": sector}
        assert submit(client, PPAS + "create/", data).status_code == 303

    page = client.get(PPAS, params={"q": marker, "sector": "social"})
    links = export_links(page)
    shown = shown_titles(page, PPAS)
    assert shown == [f"Export {marker} {index}" for index in (3, 1, 0)]

    for words, fmt in (("CSV", "csv"), ("Excel", "xlsx")):
        assert links[words].startswith(PPAS + "export/?")
        assert dict(httpx.QueryParams(links[words].split("?", 1)[1])) == {
            "format": fmt,
            "q": marker,
            "sector": "social",
        }
    assert csv_column(client.get(links["CSV"]), "Title") == shown
    excel = client.get(links["Excel"])
    assert re.fullmatch(
        r'attachment; filename="ppas-\d{4}-\d{2}-\d{2}\.xlsx"', excel.headers["content-disposition"]
    )
    assert excel_column(excel, "Title") == shown

    # Sorted by a heading (Title, then reversed): the list and its export in that order.
    title_heading = re.search(r'aria-sort="none"><a href="([^"]+)">Title<', page.text)
    assert title_heading
    by_title = client.get(PPAS + html.unescape(title_heading.group(1)))
    assert shown_titles(by_title, PPAS) == [f"Export {marker} {index}" for index in (0, 1, 3)]
    assert 'aria-sort="ascending"' in by_title.text
    assert '<option value="title" selected>Title A to Z</option>' in by_title.text
    assert csv_column(client.get(export_links(by_title)["CSV"]), "Title") == shown_titles(
        by_title, PPAS
    )
    reversed_link = re.search(r'aria-sort="ascending"><a href="([^"]+)">Title', by_title.text)
    assert reversed_link
    reversed_page = client.get(PPAS + html.unescape(reversed_link.group(1)))
    assert shown_titles(reversed_page, PPAS) == [f"Export {marker} {i}" for i in (3, 1, 0)]


def test_ppa_export_follows_the_record_filters_and_carries_the_record(make_client):
    client = signed_in(make_client(), "admin", ADMIN_PASSWORD)
    marker = uuid.uuid4().hex[:8]
    for index, record in enumerate(
        (
            {"coverage": [ALONGANAN], "tags": ["gad", "peace"], "sdgs": ["5", "16"]},
            {"coverage": [ALONGANAN], "tags": ["ip"]},
            {"coverage": [MIDSAYAP], "tags": ["gad"]},
            {"coverage": [ALONGANAN], "tags": ["gad"], "beneficiaries_targeted": "400"},
        )
    ):
        data = {"title": f"Record {marker} {index}", "category": "oobc_ppa", **record}
        assert submit(client, PPAS + "create/", data).status_code == 303

    filters = {"q": marker, "province": MAGUINDANAO_DEL_SUR, "tag": "gad"}
    page = client.get(PPAS, params=filters)
    shown = shown_titles(page, PPAS)
    assert shown == [f"Record {marker} {index}" for index in (3, 0)]
    links = export_links(page)
    assert dict(httpx.QueryParams(links["CSV"].split("?", 1)[1])) == {"format": "csv", **filters}

    exported = client.get(links["CSV"])
    assert csv_column(exported, "Title") == shown
    assert csv_column(exported, "Coverage (PSGC codes)") == [ALONGANAN, ALONGANAN]
    assert csv_column(exported, "Tags") == [
        "GAD-responsive",
        "GAD-responsive; Supports the peace agenda",
    ]
    assert csv_column(exported, "SDGs") == ["", "SDG 5; SDG 16"]
    assert csv_column(exported, "Beneficiaries targeted") == ["400", ""]
    assert excel_column(client.get(links["Excel"]), "Title") == shown


def test_need_and_assessment_exports_follow_their_pages(make_client):
    client = signed_in(make_client(), "admin", ADMIN_PASSWORD)
    marker = uuid.uuid4().hex[:8]
    # Titles in words: the pages of other tests in this database must not show a code.
    for word, urgency in (("urgent", "immediate"), ("later", "long_term")):
        data = {"title": f"Need {marker} {word}", "urgency_level": urgency}
        assert submit(client, NEEDS + "create/", data).status_code == 303
    page = client.get(NEEDS, params={"q": marker, "urgency_level": "immediate"})
    assert (
        csv_column(client.get(export_links(page)["CSV"]), "Title")
        == shown_titles(page, NEEDS)
        == [f"Need {marker} urgent"]
    )

    page = client.get(ASSESSMENTS, params={"q": marker})
    links = export_links(page)
    assert "q=" + marker in links["Excel"]
    assert excel_column(client.get(links["Excel"]), "Title") == shown_titles(page, ASSESSMENTS)


def test_my_tasks_export_holds_my_filtered_tasks(make_client):
    client = signed_in(make_client(), "admin", ADMIN_PASSWORD)
    marker = uuid.uuid4().hex[:8]
    for index, priority in enumerate(("high", "low", "high")):
        data = {
            "title": f"Task {marker} {index}",
            "priority": priority,
            "domain": "general",
            "status": "not_started",
        }
        assert submit(client, "/oobc-management/staff/tasks/create/", data).status_code == 303

    page = client.get(MY_TASKS, params={"q": marker, "priority": "high"})
    links = export_links(page)
    assert links["CSV"].startswith(MY_TASKS + "export/?")
    assert "priority=high" in links["CSV"]
    exported = csv_column(client.get(links["CSV"]), "Title")
    assert sorted(exported) == [f"Task {marker} 0", f"Task {marker} 2"]


def test_an_unknown_format_is_refused_in_words(make_client):
    client = signed_in(make_client(), "admin", ADMIN_PASSWORD)
    refused = client.get(PPAS + "export/", params={"format": "pdf"})
    assert refused.status_code == 422
    assert "format" in refused.text
