"""The search box: one query finds tasks, PPAs, assessments, needs, events, resources and
people, each kind linked to its page and to its own list filtered the same way, as the reader
may see them."""

from __future__ import annotations

import html
import re
import uuid
from typing import Any

from gateway_helpers import (
    ADMIN_PASSWORD,
    DESKTOP,
    browser_session,
    check_page,
    create_user,
    post,
    signed_in,
)
from playwright.sync_api import expect

FRONTS_CALENDAR = True
SEARCH = "/oobc-management/search/"


def _visible(page: str) -> str:
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page)))


def test_one_search_finds_every_kind_of_record_by_every_word(make_client, admin_headers):
    api = make_client()
    marker = uuid.uuid4().hex[:6]
    word = f"Lanao{marker}"

    def made(path: str, body: dict[str, Any]) -> dict[str, Any]:
        return post(api, admin_headers, path, body)

    tasks = [
        made(
            "/tasks",
            {"title": f"Consolidate the {word} survey forms {n}", "due_date": "2031-02-03"},
        )
        for n in range(7)
    ]
    ppa = made(
        "/ppas",
        {
            "title": f"{word} halal processing centre",
            "category": "oobc_ppa",
            "fiscal_year": 2031,
            "sector": "economic",
        },
    )
    assessment = made(
        "/assessments",
        {
            "title": f"Household survey of {word}",
            "primary_methodology": "survey",
            "assessment_level": "regional",
        },
    )
    event = made(
        "/events",
        {
            "title": f"Coordination meeting {word}",
            "event_type": "meeting",
            "start": "2031-03-10T09:00:00+08:00",
            "end": "2031-03-10T11:00:00+08:00",
            "venue": "Marawi City",
        },
    )
    need = made("/needs", {"title": f"Potable water in {word}", "community": "Barangay Poblacion"})
    resource = made("/resources", {"name": f"Van {word}", "resource_type": "vehicle"})
    person = create_user(api, admin_headers, "staff", f"Sittie {word}")
    other = made("/tasks", {"title": f"Unrelated {marker} filing"})

    client = signed_in(make_client(), "admin", ADMIN_PASSWORD)
    page = client.get(SEARCH, params={"q": f"  survey  {word.lower()} "})
    assert page.status_code == 200
    text = _visible(page.text)
    # Every word, in any order, any case: the survey tasks (7, the first 5 shown) and the
    # survey assessment; not the PPA, whose title lacks "survey".
    assert "Tasks (7)" in text
    assert page.text.count('href="/oobc-management/staff/tasks/') >= 5
    assert "See all 7 tasks" in text
    assert f'href="/oobc-management/staff/tasks/?q=survey+{word.lower()}"' in page.text
    assert f'href="/oobc-management/portfolio/assessments/{assessment["id"]}/"' in page.text
    assert "Survey" in text  # the methodology, in words
    assert 'data-found="needs"' not in page.text
    assert ppa["id"] not in page.text

    everything = client.get(SEARCH, params={"q": word})
    text = _visible(everything.text)
    for record, link in (
        (ppa, "/oobc-management/portfolio/ppas/"),
        (event, "/oobc-management/calendar/events/"),
        (resource, "/oobc-management/resources/"),
        (need, "/oobc-management/portfolio/needs/"),
        (tasks[-1], "/oobc-management/staff/tasks/"),  # the latest changed first
    ):
        assert f'href="{link}{record["id"]}/"' in everything.text, link
    assert "Mon 10 Mar 2031, 09:00\N{EN DASH}11:00" in text
    assert "Marawi City" in text
    assert "Not started" in text
    assert "OOBC PPA · FY 2031" in text
    assert f"Sittie {word}" in text
    assert f'href="/oobc-management/staff/tasks/?assignee={person["id"]}"' in everything.text
    assert other["id"] not in everything.text

    nothing = _visible(client.get(SEARCH, params={"q": f"zz{marker}qq"}).text)
    assert f"Nothing found for “zz{marker}qq”" in nothing
    empty = client.get(SEARCH)
    assert empty.status_code == 200
    assert "Found for" not in empty.text


def test_slash_opens_the_search_and_the_results_read_well_on_a_phone(
    browser, gateway, make_client, admin_headers
):
    marker = uuid.uuid4().hex[:6]
    post(
        make_client(),
        admin_headers,
        "/tasks",
        {"title": f"Draft the Maguindanao{marker} brief", "due_date": "2031-05-04"},
    )
    with browser_session(browser, gateway.url, "admin", ADMIN_PASSWORD, DESKTOP) as page:
        page.goto("/")
        page.keyboard.press("/")
        expect(page).to_have_url(re.compile(r"/oobc-management/search/$"))
        box = page.get_by_label(
            "Find tasks, PPAs, assessments, needs, events, resources and people"
        )
        expect(box).to_be_focused()
        box.fill(f"maguindanao{marker}")
        box.press("Enter")
        result = page.locator("[data-found=tasks] a", has_text=f"Maguindanao{marker}")
        expect(result).to_be_visible()
        expect(page.locator("[data-found=tasks]")).to_contain_text("due Sun 4 May 2031")
        check_page(page, "search")
        result.click()
        expect(page.locator("h1")).to_have_text(f"Draft the Maguindanao{marker} brief")
