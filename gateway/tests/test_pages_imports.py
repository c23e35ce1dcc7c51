"""The import page: a workbook with a bad row is checked, its problems shown beside their
rows (and downloadable as CSV), nothing imported; the corrected file is checked, confirmed and
imported; the template and the links from the lists; only managers may import. A row naming
someone without an active account is such a bad row, through the API and the page alike."""

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


def switch_off(client: httpx.Client, admin_headers: dict[str, str], user_id: str) -> None:
    answer = client.patch(
        f"/api/v1/users/{user_id}", json={"is_active": False}, headers=admin_headers
    )
    assert answer.status_code == 200, answer.text


PEOPLE_HEADERS = ["Title", "Category", "Lead (user id)", "Members (user ids)"]


def test_a_row_naming_someone_without_an_active_account_imports_nothing(make_client, admin_headers):
    api = make_client()
    api.headers.update(admin_headers)
    active = create_user(api, admin_headers, "staff", "Amina Datumanong")["id"]
    gone = create_user(api, admin_headers, "staff", "Rashid Lidasan")["id"]
    switch_off(api, admin_headers, gone)
    nobody = str(uuid.uuid4())
    marker = uuid.uuid4().hex[:8]
    content = workbook(
        PEOPLE_HEADERS,
        [f"Wells {marker}", "OOBC PPA", active, active],
        [f"Roads {marker}", "OOBC PPA", gone, f"{active}; {nobody}"],
        [f"Bridges {marker}", "Someday", None, gone],
    )

    def send(content: bytes, *, dry_run: bool) -> httpx.Response:
        return api.post(
            "/api/v1/ppas/import",
            params={"dry_run": str(dry_run).lower()},
            files={"file": ("ppas.xlsx", content, "application/octet-stream")},
        )

    checked = send(content, dry_run=True)

    assert checked.status_code == 200, checked.text
    problems = [
        (problem["row"], problem["column"], problem["message"])
        for problem in checked.json()["errors"]
    ]
    assert problems == [
        (3, "Lead (user id)", "Rashid Lidasan is no longer active"),
        (3, "Members (user ids)", f"no active person has the id {nobody}"),
        (4, "Category", problems[2][2]),
        (4, "Members (user ids)", "Rashid Lidasan is no longer active"),
    ]
    assert problems[2][2].startswith("Someday is not one of")
    assert checked.json()["valid_rows"] == 1
    imported = send(content, dry_run=False)
    assert imported.status_code == 422, imported.text
    error = imported.json()["error"]
    assert error["code"] == "import_refused"
    assert (error["details"][0]["field"], error["details"][0]["message"]) == (
        "Lead (user id)",
        "row 3: Rashid Lidasan is no longer active",
    )
    assert api.get("/api/v1/ppas", params={"q": marker}).json()["items"] == []

    fine = workbook(PEOPLE_HEADERS, [f"Wells {marker}", "OOBC PPA", active, active])
    assert send(fine, dry_run=False).status_code == 201
    listed = api.get("/api/v1/ppas", params={"q": marker}).json()["items"]
    assert [(ppa["lead_id"], ppa["member_ids"]) for ppa in listed] == [(active, [active])]


def test_the_page_shows_the_cells_naming_someone_who_left_and_imports_nothing(
    make_client, admin_headers
):
    api = make_client()
    leaving = create_user(api, admin_headers, "staff", "Rashid Lidasan")["id"]
    gone = create_user(api, admin_headers, "staff", "Former Colleague")["id"]
    switch_off(api, admin_headers, gone)
    client = signed_in(make_client(), "admin", ADMIN_PASSWORD)
    client.get(IMPORT)
    marker = uuid.uuid4().hex[:8]

    checked = check(
        client,
        "ppas",
        workbook(
            PEOPLE_HEADERS,
            [f"Wells {marker}", "OOBC PPA", leaving, None],
            [f"Roads {marker}", "OOBC PPA", None, f"{leaving}; {gone}"],
        ),
    )

    assert checked.status_code == 200, checked.text
    assert problems_shown(checked) == [
        ["3", "Members (user ids)", "Former Colleague is no longer active"]
    ]
    assert "ready to import" not in checked.text

    # Checked clean, then the lead leaves before "Import": nothing is imported.
    ready = check(
        client, "ppas", workbook(PEOPLE_HEADERS, [f"Wells {marker}", "OOBC PPA", leaving, None])
    )
    assert "1 rows ready to import" in ready.text
    action = re.search(
        r'<form method="post" action="(/oobc-management/portfolio/import/[^"]+/)"', ready.text
    )
    assert action, ready.text
    switch_off(api, admin_headers, leaving)
    refused = client.post(action.group(1), data={"csrftoken": client.cookies["csrftoken"]})
    assert refused.status_code == 422, refused.text
    assert problems_shown(refused) == [
        ["2", "Lead (user id)", "Rashid Lidasan is no longer active"]
    ]
    assert f"Wells {marker}" not in client.get(PPAS, params={"q": marker}).text


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
