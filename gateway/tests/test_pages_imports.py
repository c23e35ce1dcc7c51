"""The import page: a workbook with a bad row is checked, its problems shown beside their
rows (and downloadable as CSV), nothing imported; the corrected file is checked, confirmed and
imported; the template and the links from the lists; only managers may import."""

from __future__ import annotations

import csv
import html
import io
import re
import uuid
from typing import Any

import httpx
import openpyxl
from gateway_helpers import ADMIN_PASSWORD, USER_PASSWORD, create_user, signed_in

IMPORT = "/oobc-management/portfolio/import/"
PPAS = "/oobc-management/portfolio/ppas/"
NEEDS = "/oobc-management/portfolio/needs/"


def workbook(*rows: list[Any]) -> bytes:
    book = openpyxl.Workbook()
    for row in rows:
        book.active.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def check(client: httpx.Client, kind: str, content: bytes) -> httpx.Response:
    return client.post(
        IMPORT,
        data={"csrftoken": client.cookies["csrftoken"], "kind": kind},
        files={"file": ("ppas.xlsx", content, "application/octet-stream")},
    )


def problems_shown(page: httpx.Response) -> list[list[str]]:
    """The rows of the problems table, cell texts."""
    table = re.search(r'id="import-report".*?<tbody>(.*?)</tbody>', page.text, re.S)
    assert table, page.text
    return [
        [
            html.unescape(re.sub(r"<[^>]+>", "", cell)).strip()
            for cell in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)
        ]
        for row in re.findall(r"<tr>(.*?)</tr>", table.group(1), re.S)
    ]


def test_a_bad_row_is_shown_then_the_fixed_file_is_imported(make_client):
    client = signed_in(make_client(), "admin", ADMIN_PASSWORD)
    client.get(IMPORT)
    marker = uuid.uuid4().hex[:8]
    bad = workbook(
        ["Title", "Category", "Status", "Budget allocation"],
        [f"Wells {marker}", "OOBC PPA", "Planning", 1000],
        [f"Roads {marker}", "OOBC PPA", "Someday", -5],
    )

    checked = check(client, "ppas", bad)

    assert checked.status_code == 200, checked.text
    shown = problems_shown(checked)
    assert [row[:2] for row in shown] == [["3", "Status"], ["3", "Budget allocation"]]
    assert shown[0][2].startswith("Someday is not one of: Planning")
    link = re.search(r'href="([^"]+/problems/download/)"', checked.text)
    assert link, checked.text
    download = client.get(link.group(1))
    assert download.status_code == 200
    rows = list(csv.reader(io.StringIO(download.content.decode("utf-8-sig"))))
    assert rows[0] == ["Row", "Column", "Problem"]
    assert [row[:2] for row in rows[1:]] == [["3", "Status"], ["3", "Budget allocation"]]
    assert f"Wells {marker}" not in client.get(PPAS, params={"q": marker}).text

    fixed = workbook(
        ["Title", "Category", "Status", "Budget allocation"],
        [f"Wells {marker}", "OOBC PPA", "Planning", 1000],
        [f"Roads {marker}", "OOBC PPA", "Ongoing", 5000],
    )
    ready = check(client, "ppas", fixed)
    assert ready.status_code == 200, ready.text
    assert "2 rows ready to import" in ready.text
    action = re.search(
        r'<form method="post" action="(/oobc-management/portfolio/import/[^"]+/)"', ready.text
    )
    assert action, ready.text
    done = client.post(action.group(1), data={"csrftoken": client.cookies["csrftoken"]})

    assert done.status_code == 200, done.text
    assert "2 PPAs imported." in done.text
    listed = client.get(PPAS, params={"q": marker}).text
    assert f"Roads {marker}" in listed
    assert f"Wells {marker}" in listed
    again = client.post(action.group(1), data={"csrftoken": client.cookies["csrftoken"]})
    assert again.status_code == 404


def test_the_templates_and_the_list_links(make_client):
    client = signed_in(make_client(), "admin", ADMIN_PASSWORD)
    for kind, first in [("ppas", "Title"), ("needs", "Title")]:
        template = client.get(f"{IMPORT}{kind}/template/download/")
        assert template.status_code == 200, template.text
        sheet = openpyxl.load_workbook(io.BytesIO(template.content)).worksheets[0]
        assert sheet["A1"].value == first
    assert f'href="{IMPORT}?kind=ppas"' in client.get(PPAS).text
    assert f'href="{IMPORT}?kind=needs"' in client.get(NEEDS).text


def test_a_file_that_is_not_a_workbook_is_refused_in_words(make_client):
    client = signed_in(make_client(), "admin", ADMIN_PASSWORD)
    client.get(IMPORT)
    refused = check(client, "needs", b"Title\nWater\n")
    assert refused.status_code == 415
    assert "not an Excel workbook" in refused.text


def test_staff_may_not_import(make_client, admin_headers):
    user = create_user(make_client(), admin_headers, "staff")
    client = signed_in(make_client(), user["username"], USER_PASSWORD)
    assert client.get(IMPORT).status_code == 403
    assert 'href="/oobc-management/portfolio/import/' not in client.get(PPAS).text
    client.get(PPAS)
    assert (
        check(client, "ppas", workbook(["Title", "Category"], ["Water", "OOBC PPA"])).status_code
        == 403
    )
