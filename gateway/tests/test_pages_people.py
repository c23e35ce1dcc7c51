"""The people pages against the real tasks, portfolio and calendar services: deactivating
someone says what they leave behind (open tasks, the only-assignee ones flagged, and a link
listing them to reassign; PPAs they lead; events they organise; pending requests), and
afterwards their name reads "(inactive)" wherever it still shows and the task list's filter
still finds them. Their open tasks and the PPAs they lead are handed over to a colleague in
one confirmed step."""

from __future__ import annotations

import re
import uuid
from typing import Any

from gateway_helpers import (
    ADMIN_PASSWORD,
    PHONE,
    USER_PASSWORD,
    browser_session,
    check_page,
    person,
    post,
    signed_in,
    submit,
    visible_text,
)
from playwright.sync_api import Browser, expect

FRONTS_CALENDAR = True  # the events a person organises are the calendar service's

PEOPLE = "/accounts/people/"
TASKS = "/oobc-management/staff/tasks/"
EVENTS = "/oobc-management/calendar/events/"


def _item(html: str, href: str) -> str:
    """The visible text of the list item linking to `href`."""
    found = [item for item in re.findall(r"<li>(.*?)</li>", html, re.S) if f'href="{href}"' in item]
    assert len(found) == 1, (href, found)
    return visible_text(found[0])


def _omar_and_his_work(make_client, admin_headers) -> dict[str, Any]:
    """Omar, with a task only he is on, one shared with Rashid, a completed one, a courtesy
    call he organises and a pending leave request."""
    suffix = uuid.uuid4().hex[:6]
    api = make_client()
    omar = person(api, admin_headers, "staff", f"Omar Macabangkit {suffix}")
    rashid = person(api, admin_headers, "staff", f"Rashid Ali {suffix}")

    def task(title: str, *assignees: str, **extra: Any) -> dict[str, Any]:
        body = {"title": f"{title} {suffix}", "assignee_ids": list(assignees), **extra}
        return post(api, admin_headers, "/tasks", body)

    call = {
        "title": f"Courtesy call {suffix}",
        "event_type": "meeting",
        "start": "2037-12-14T15:00:00+08:00",
        "end": "2037-12-14T16:00:00+08:00",
    }
    leave = {"leave_type": "vacation", "start_date": "2037-12-28", "end_date": "2037-12-29"}
    return {
        "suffix": suffix,
        "omar": omar,
        "name": omar["full_name"],
        "alone": task("Draft the terms", omar["id"], due_date="2037-12-20"),
        "shared": task("Coordinate transport", omar["id"], rashid["id"], due_date="2037-12-21"),
        "done": task("Filed", omar["id"], status="completed"),
        "call": post(api, omar["headers"], "/events", call),
        "ppa": post(
            api,
            admin_headers,
            "/ppas",
            {
                "title": f"Farm-to-market road {suffix}",
                "category": "moa_ppa",
                "sector": "social",
                "lead_id": omar["id"],
                "status": "ongoing",
            },
        ),
        "ended_ppa": post(
            api,
            admin_headers,
            "/ppas",
            {
                "title": f"Old road {suffix}",
                "category": "moa_ppa",
                "sector": "social",
                "lead_id": omar["id"],
                "status": "completed",
            },
        ),
        "leave": post(api, omar["headers"], "/leaves", leave),
        "page": PEOPLE + omar["id"] + "/",
        "admin": signed_in(make_client(), "admin", ADMIN_PASSWORD),
    }


def test_the_deactivation_says_what_the_person_leaves_behind(make_client, admin_headers):
    """An admin deactivated Omar unwarned: his task with nobody else on it and the courtesy
    call he organises were orphaned. The page lists them before and after, linked."""
    work = _omar_and_his_work(make_client, admin_headers)
    admin = work["admin"]
    alone, shared, call = (
        f"{TASKS}{work['alone']['id']}/",
        f"{TASKS}{work['shared']['id']}/",
        f"{EVENTS}{work['call']['id']}/",
    )

    before = admin.get(work["page"])
    assert before.status_code == 200
    said = visible_text(before.text)
    assert f"What {work['name']} leaves behind" in said
    assert "2 open tasks (1 with nobody else assigned)" in said
    assert "nobody else is assigned" in _item(before.text, alone)
    assert "nobody else is assigned" not in _item(before.text, shared)
    assert f"{TASKS}{work['done']['id']}/" not in before.text  # completed: nothing to hand over
    assert "1 upcoming event they organise" in said
    assert f"Courtesy call {work['suffix']}" in _item(before.text, call)
    leave = f"/oobc-management/staff/leave/{work['leave']['id']}/"
    assert "Vacation" in _item(before.text, leave)
    # The PPA he leads is listed to choose a new lead; the completed one needs none.
    assert "1 PPA they lead" in said
    ppa_form = f"/oobc-management/portfolio/ppas/{work['ppa']['id']}/edit/"
    assert _item(before.text, ppa_form) == f"Farm-to-market road {work['suffix']} · Ongoing"
    assert f"/oobc-management/portfolio/ppas/{work['ended_ppa']['id']}/" not in before.text
    # His open tasks open together in the task list, to be reassigned in one change.
    (listing,) = re.findall(r'href="([^"]*)">Their open tasks in the task list', before.text)
    listed = visible_text(admin.get(listing.replace("&amp;", "&")).text)
    assert f"Draft the terms {work['suffix']}" in listed
    assert f"Coordinate transport {work['suffix']}" in listed
    assert f"Filed {work['suffix']}" not in listed
    assert "Not checked" not in said

    deactivated = submit(admin, work["page"] + "deactivate/", {"confirm": "yes"})
    assert deactivated.status_code == 303, deactivated.text
    after = admin.get(deactivated.headers["location"])
    said = visible_text(after.text)
    assert "Reassign the work it leaves" in said
    assert "Reassign them:" in said
    assert "nobody else is assigned" in _item(after.text, alone)
    assert f"Courtesy call {work['suffix']}" in _item(after.text, call)
    assert "1 PPA they lead" in said

    # The task list's assignee filter still finds him, marked, after the active people;
    # a picker choosing someone to work does not.
    found = admin.get("/oobc-management/people.json", params={"q": "Omar", "everyone": "true"})
    assert {"id": work["omar"]["id"], "name": f"{work['name']} (inactive)"} in found.json()
    assert work["omar"]["id"] not in str(admin.get("/oobc-management/people.json?q=Omar").json())
    assert "people.json?everyone=true" in admin.get(TASKS).text


def test_a_deactivated_persons_name_reads_inactive_on_tasks_and_events(make_client, admin_headers):
    """After the deactivation Omar still showed as a plain, active-looking assignee and
    organiser: the pages now say he is inactive, so that his work is seen to need someone."""
    work = _omar_and_his_work(make_client, admin_headers)
    admin = work["admin"]
    inactive = f"{work['name']} (inactive)"
    event_page = f"{EVENTS}{work['call']['id']}/"
    assert inactive not in admin.get(event_page).text  # before: as anyone's

    deactivated = submit(admin, work["page"] + "deactivate/", {"confirm": "yes"})
    assert deactivated.status_code == 303, deactivated.text

    task_page = visible_text(admin.get(f"{TASKS}{work['alone']['id']}/").text)
    assert f"Assignees {inactive}" in task_page
    assert f"Organizer {inactive}" in visible_text(admin.get(event_page).text)
    listing = visible_text(admin.get(TASKS, params={"q": work["suffix"]}).text)
    assert inactive in listing
    # The people page itself names them plainly, its status saying inactive.
    assert f"<h1>{work['name']}</h1>" in admin.get(work["page"]).text


def test_a_person_without_work_is_said_to_leave_nothing(make_client, admin_headers):
    quiet = person(make_client(), admin_headers, "staff", f"Quiet Person {uuid.uuid4().hex[:6]}")
    admin = signed_in(make_client(), "admin", ADMIN_PASSWORD)
    said = visible_text(admin.get(PEOPLE + quiet["id"] + "/").text)
    assert (
        "has no open tasks, leads no open PPA, organises no upcoming event and has no pending "
        "requests"
    ) in said


# --- the hand-over ----------------------------------------------------------------------------


def _handover(make_client, admin_headers) -> dict[str, Any]:
    """Omar's work (`_omar_and_his_work`), a task he shares with Norhana, and Norhana, an
    active colleague to take it over."""
    work = _omar_and_his_work(make_client, admin_headers)
    api = make_client()
    norhana = person(api, admin_headers, "staff", f"Norhana Ampatuan {work['suffix']}")
    body = {
        "title": f"Review the plan {work['suffix']}",
        "assignee_ids": [work["omar"]["id"], norhana["id"]],
    }
    return {
        **work,
        "api": api,
        "norhana": norhana,
        "with_norhana": post(api, admin_headers, "/tasks", body),
        "handover": work["page"] + "handover/",
    }


def _question(admin, work: dict[str, Any], colleague: str) -> tuple[str, dict[str, Any]]:
    """The question's heading and the form its yes posts."""
    asked = admin.get(work["handover"], params={"to": colleague})
    assert asked.status_code == 200, asked.text
    (heading,) = re.findall(r"<h1>(.*?)</h1>", asked.text, re.S)
    records = re.findall(r'name="(task|ppa)" value="([^"]+)"', asked.text)
    form: dict[str, Any] = {"to": colleague}
    for name in ("task", "ppa"):
        form[name] = [value for kind, value in records if kind == name]
    return visible_text(heading), form


def _read(api, headers: dict[str, str], path: str) -> dict[str, Any]:
    found = api.get(f"/api/v1{path}", headers=headers)
    assert found.status_code == 200, found.text
    body: dict[str, Any] = found.json()
    return body


def test_the_hand_over_gives_a_colleague_the_open_tasks_and_the_ppas_led(
    make_client, admin_headers
):
    """Every leave, an admin reassigned task by task and opened each PPA's form to change
    its lead. One confirmed step now does it: the colleague replaces the person among each
    open task's assignees (the others stay), leads each open PPA, and each task's history
    says why; completed work is left alone."""
    work = _handover(make_client, admin_headers)
    admin, api, omar = work["admin"], work["api"], work["omar"]
    norhana = work["norhana"]

    page = admin.get(work["page"])
    assert f'action="{work["handover"]}"' in page.text  # the form is on the person's page
    assert f"?without={omar['id']}" in page.text  # its search leaves Omar out
    assert f'<option value="{omar["id"]}"' not in page.text

    heading, form = _question(admin, work, norhana["id"])
    assert heading == (
        f"Hand over 3 open tasks and 1 PPA from {work['name']} to {norhana['full_name']}?"
    )
    unchanged = _read(api, admin_headers, f"/tasks/{work['alone']['id']}")
    assert unchanged["assignee_ids"] == [omar["id"]]  # asking changes nothing

    done = submit(admin, work["handover"], form)
    assert done.status_code == 200, done.text
    said = visible_text(done.text)
    assert f"3 tasks and 1 PPA handed over to {norhana['full_name']}." in said
    assert "Not handed over" not in said
    assert f'href="/oobc-management/portfolio/ppas/{work["ppa"]["id"]}/"' in done.text

    def assignees(task: str) -> list[str]:
        found: list[str] = _read(api, admin_headers, f"/tasks/{work[task]['id']}")["assignee_ids"]
        return found

    rashid = work["shared"]["assignee_ids"][1]
    assert assignees("alone") == [norhana["id"]]
    assert assignees("shared") == [rashid, norhana["id"]]  # Rashid stays on it
    assert assignees("with_norhana") == [norhana["id"]]  # already hers: Omar only leaves
    assert assignees("done") == [omar["id"]]  # completed: left alone
    assert _read(api, admin_headers, f"/ppas/{work['ppa']['id']}")["lead_id"] == norhana["id"]
    ended = _read(api, admin_headers, f"/ppas/{work['ended_ppa']['id']}")
    assert ended["lead_id"] == omar["id"]  # a completed PPA needs no lead

    history = _read(api, admin_headers, f"/tasks/{work['alone']['id']}/history")["items"]
    assert history[0]["cause"] == f"handed over from {work['name']}"
    assert history[0]["actor_id"] == _read(api, admin_headers, "/users/me")["id"]
    shown = visible_text(admin.get(f"{TASKS}{work['alone']['id']}/").text)
    assert f"(handed over from {work['name']})" in shown
    # Omar's page has nothing left to hand over.
    left = visible_text(admin.get(work["page"]).text)
    assert "open task" not in left
    assert "PPA they lead" not in left


def test_a_record_changed_after_the_question_is_reported_not_overwritten(
    make_client, admin_headers
):
    """A manager gave the PPA another lead while the admin read the question: the hand-over
    leaves it as the manager set it and says so; the tasks go all the same."""
    work = _handover(make_client, admin_headers)
    admin, api, norhana = work["admin"], work["api"], work["norhana"]
    _, form = _question(admin, work, norhana["id"])
    ppa_path = f"/api/v1/ppas/{work['ppa']['id']}"
    ppa = _read(api, admin_headers, f"/ppas/{work['ppa']['id']}")
    rashid = work["shared"]["assignee_ids"][1]
    meanwhile = api.patch(
        ppa_path,
        json={"lead_id": rashid},
        headers={**admin_headers, "If-Match": f'"{ppa["version"]}"'},
    )
    assert meanwhile.status_code == 200, meanwhile.text
    task_path = f"/api/v1/tasks/{work['alone']['id']}"
    renamed = api.patch(task_path, json={"title": "Renamed meanwhile"}, headers=admin_headers)
    assert renamed.status_code == 200, renamed.text

    done = submit(admin, work["handover"], form)
    assert done.status_code == 200, done.text
    said = visible_text(done.text)
    assert f"2 tasks handed over to {norhana['full_name']}. 2 were not: see below." in said
    task = _item(done.text, f"{TASKS}{work['alone']['id']}/")
    assert task.startswith("Renamed meanwhile")
    assert task.endswith("it was changed by someone else meanwhile — review it")
    ppa_said = _item(done.text, f"/oobc-management/portfolio/ppas/{work['ppa']['id']}/")
    assert ppa_said.startswith(f"Farm-to-market road {work['suffix']}")
    assert ppa_said.endswith(
        "changed by someone else meanwhile — review it and choose its lead there"
    )
    assert _read(api, admin_headers, f"/ppas/{work['ppa']['id']}")["lead_id"] == rashid
    assert api.get(task_path, headers=admin_headers).json()["assignee_ids"] == [work["omar"]["id"]]


def test_the_colleague_is_refused_beside_the_picker_in_words(make_client, admin_headers):
    work = _handover(make_client, admin_headers)
    admin, omar = work["admin"], work["omar"]
    gone = person(work["api"], admin_headers, "staff", f"Bai Lumna {work['suffix']}")
    assert submit(admin, PEOPLE + gone["id"] + "/deactivate/", {"confirm": "yes"}).is_redirect

    for chosen, said in (
        ("", "Choose the colleague who takes over"),
        (omar["id"], f"Choose someone else: {work['name']} cannot take over from themself"),
        (gone["id"], f"Bai Lumna {work['suffix']} is deactivated: choose an active colleague"),
        ("someone", "Choose the colleague from the list: nobody has this account"),
    ):
        asked = admin.get(work["handover"], params={"to": chosen})
        assert asked.status_code == 422, (chosen, asked.text)
        (beside,) = re.findall(r'<span class="field-error" id="to-error">(.*?)</span>', asked.text)
        assert beside == said
        assert 'aria-describedby="to-error"' in asked.text
        assert "Yes, hand over" not in asked.text

    # The yes itself refuses a colleague deactivated since the question, and changes nothing.
    refused = submit(
        admin, work["handover"], {"to": gone["id"], "task": [f"{work['alone']['id']}:1"]}
    )
    assert refused.status_code == 422
    assert "is deactivated: choose an active colleague" in visible_text(refused.text)
    alone = _read(work["api"], admin_headers, f"/tasks/{work['alone']['id']}")
    assert alone["assignee_ids"] == [omar["id"]]


def test_only_an_admin_hands_over(make_client, admin_headers):
    work = _handover(make_client, admin_headers)
    manager = person(work["api"], admin_headers, "manager", f"Datu Piang {work['suffix']}")
    as_manager = signed_in(make_client(), manager["username"], USER_PASSWORD)
    norhana = work["norhana"]["id"]
    assert as_manager.get(work["handover"], params={"to": norhana}).status_code == 403
    task = f"{work['alone']['id']}:{work['alone']['version']}"
    refused = submit(as_manager, work["handover"], {"to": norhana, "task": [task]})
    assert refused.status_code == 403
    alone = _read(work["api"], admin_headers, f"/tasks/{work['alone']['id']}")
    assert alone["assignee_ids"] == [work["omar"]["id"]]


def test_the_hand_over_by_keyboard_on_a_phone(
    browser: Browser, gateway, make_client, admin_headers
):
    """At 390 px, by keyboard alone: the picker on the person's page (sent empty: refused
    beside it), the question, the yes, and what was done; each page axe-clean,
    screenshotted."""
    work = _handover(make_client, admin_headers)
    norhana = work["norhana"]
    with browser_session(browser, gateway.url, "admin", ADMIN_PASSWORD, PHONE) as page:
        page.goto(work["page"])
        check_page(page, "people-handover-form")
        page.set_viewport_size(PHONE)  # check_page ends at the desktop's width
        page.get_by_role("button", name="Hand over…").focus()
        page.keyboard.press("Enter")
        expect(page.locator("#to-error")).to_have_text("Choose the colleague who takes over")
        check_page(page, "people-handover-refused")
        page.set_viewport_size(PHONE)

        picker = page.locator(".ts-control input")
        picker.fill(norhana["full_name"])  # other tests of the module add Norhanas too
        option = page.locator(".ts-dropdown .option", has_text=norhana["full_name"])
        expect(option).to_have_class(re.compile(r"\bactive\b"))  # what Enter chooses
        page.keyboard.press("Enter")
        # Chosen (the picker shows her) before moving on: a busy machine's key is not lost.
        expect(page.locator(".ts-control .item")).to_contain_text(norhana["full_name"])
        page.keyboard.press("Tab")
        expect(page.get_by_role("button", name="Hand over…")).to_be_focused()
        page.keyboard.press("Enter")

        question = (
            f"Hand over 3 open tasks and 1 PPA from {work['name']} to {norhana['full_name']}?"
        )
        expect(page.get_by_role("heading", level=1)).to_have_text(question)
        check_page(page, "people-handover-question")
        page.set_viewport_size(PHONE)  # check_page ends at the desktop's width
        yes = page.get_by_role("button", name=f"Yes, hand over to {norhana['full_name']}")
        yes.focus()
        page.keyboard.press("Enter")

        expect(page.locator("[data-handover-summary]")).to_have_text(
            f"3 tasks and 1 PPA handed over to {norhana['full_name']}."
        )
        check_page(page, "people-handover-done")
