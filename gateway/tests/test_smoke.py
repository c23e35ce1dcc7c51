"""The deployment guide's curl smoke tests, replayed with httpx against a running gateway,
plus the pages they touch."""

from __future__ import annotations

import uuid

import httpx
from gateway_helpers import ADMIN_PASSWORD, csrf_header, login


def test_guide_smoke_tests_pass_unchanged(gateway):
    # Test 1: curl -X POST .../accounts/login/ -d "username=admin&password=..." -c cookies.txt
    with httpx.Client(base_url=gateway.url) as curl:
        response = curl.post(
            "/accounts/login/",
            content=f"username=admin&password={ADMIN_PASSWORD}",
            headers={"Content-Type": "application/x-www-form-urlencoded"},
        )
        jar = dict(response.cookies)  # what `-c cookies.txt` stores
    assert "sessionid" in jar  # cat cookies.txt | grep sessionid
    assert "csrftoken" in jar

    # Test 3: curl -X POST .../tasks/create/ -b cookies.txt -H "X-CSRFToken: ..." -d "..."
    with httpx.Client(base_url=gateway.url, cookies=jar) as curl:
        created = curl.post(
            "/oobc-management/staff/tasks/create/",
            content="title=Test Task&domain=general&status=not_started",
            headers={
                "X-CSRFToken": jar["csrftoken"],
                "Content-Type": "application/x-www-form-urlencoded",
            },
        )
        assert created.status_code in (302, 303)
        # curl -b cookies.txt .../oobc-management/staff/tasks/ | grep "Test Task"
        listing = curl.get("/oobc-management/staff/tasks/")
    assert listing.status_code == 200
    assert "Test Task" in listing.text


def test_task_page_filters_and_form_errors(make_client):
    client = make_client()
    login(client, "admin", ADMIN_PASSWORD)
    marker = uuid.uuid4().hex[:8]
    for title, status in ((f"Done {marker}", "completed"), (f"Open {marker}", "in_progress")):
        response = client.post(
            "/oobc-management/staff/tasks/create/",
            data={"title": title, "domain": "mana", "status": status, "priority": "high"},
            headers=csrf_header(client),
        )
        assert response.status_code == 303
    page = client.get("/oobc-management/staff/tasks/", params={"status": "completed"})
    assert f"Done {marker}" in page.text
    assert f"Open {marker}" not in page.text
    both = client.get("/oobc-management/staff/tasks/", params={"domain": "mana"})
    assert f"Done {marker}" in both.text
    assert f"Open {marker}" in both.text

    missing = client.post(
        "/oobc-management/staff/tasks/create/",
        data={"title": "", "domain": "general", "status": "not_started"},
        headers=csrf_header(client),
    )
    assert missing.status_code == 422
    assert "Enter a title" in missing.text
    invalid = client.post(
        "/oobc-management/staff/tasks/create/",
        data={"title": "Bad date", "domain": "general", "status": "not_started", "due_date": "x"},
        headers=csrf_header(client),
    )
    assert invalid.status_code == 422
    assert "Enter a date, e.g. 2026-12-14" in invalid.text
    assert 'value="Bad date"' in invalid.text  # the form keeps what was typed


def test_json_clients_get_the_created_task(make_client):
    client = make_client()
    login(client, "admin", ADMIN_PASSWORD)
    response = client.post(
        "/oobc-management/staff/tasks/create/",
        data={
            "title": "As JSON",
            "domain": "policy",
            "status": "not_started",
            "due_date": "2027-03-01",
            "description": "from a script",
        },
        headers={**csrf_header(client), "Accept": "application/json"},
    )
    assert response.status_code == 201
    body = response.json()
    assert body["title"] == "As JSON"
    assert body["due_date"] == "2027-03-01"
    assert body["created_by"] == client.get("/api/v1/users/me").json()["id"]
    invalid = client.post(
        "/oobc-management/staff/tasks/create/",
        data={"title": "x", "domain": "nowhere", "status": "not_started"},
        headers={**csrf_header(client), "Accept": "application/json"},
    )
    assert invalid.status_code == 422
    assert invalid.json()["error"]["field"] == "domain"


def test_home_page_has_the_navigation_and_logout(make_client):
    client = make_client()
    login(client, "admin", ADMIN_PASSWORD)
    home = client.get("/")
    assert home.status_code == 200
    assert 'href="/oobc-management/staff/tasks/"' in home.text
    assert 'action="/accounts/logout/"' in home.text
    assert client.get("/static/obcms.css").status_code == 200


def test_unknown_pages_and_the_openapi_document(make_client):
    client = make_client()
    login(client, "admin", ADMIN_PASSWORD)
    missing = client.get("/oobc-management/nowhere/", headers={"Accept": "text/html"})
    assert missing.status_code == 404
    assert "Page not found" in missing.text
    document = client.get("/openapi.json").json()
    assert "/api/v1/auth/token" in document["paths"]
    assert "/api/v1/users/me" in document["paths"]
