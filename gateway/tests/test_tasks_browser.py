"""The task list and board in a real browser (Debian's Chromium driven by Playwright), as a
staff user: dragging a card to "In progress", search, bulk complete, a colleague added to
several tasks by typing their first name (the others kept), assigning by typing a
colleague's first name, a stale edit showing the conflict, delete asking first, a task made to
wait for another by typing part of its title (and unmade), axe-core on the list, the board and
a task page at desktop and phone widths (no sideways scroll at 390 px) and screenshots
(test-artifacts/screenshots/tasks-*.png, task-dependencies.png)."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from gateway_helpers import (
    ADMIN_PASSWORD,
    DESKTOP,
    PHONE,
    SCREENSHOTS,
    USER_PASSWORD,
    ServedApp,
    browser_session,
    check_page,
    create_user,
    token_for,
)
from playwright.sync_api import Browser, Locator, Page, expect

TASKS = "/oobc-management/staff/tasks/"


@pytest.fixture(scope="module")
def staff(gateway: ServedApp) -> dict[str, Any]:
    with httpx.Client(base_url=gateway.url, timeout=30) as client:
        admin = token_for(client, "admin", ADMIN_PASSWORD)
        marker = uuid.uuid4().hex[:6]
        people = {}
        for key, full_name in (
            ("me", f"Nurhan Ali {marker}"),
            ("colleague", f"Farida Usman {marker}"),
        ):
            user = create_user(client, admin)
            named = client.patch(
                f"/api/v1/users/{user['id']}", json={"full_name": full_name}, headers=admin
            )
            assert named.status_code == 200, named.text
            people[key] = {**user, "full_name": full_name}
        people["marker"] = marker
        return people


@pytest.fixture
def api(gateway: ServedApp, staff: dict[str, Any]) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=gateway.url, timeout=30) as client:
        client.headers.update(token_for(client, staff["me"]["username"], USER_PASSWORD))
        yield client


@pytest.fixture
def page(browser: Browser, gateway: ServedApp, staff: dict[str, Any]) -> Iterator[Page]:
    with browser_session(
        browser, gateway.url, staff["me"]["username"], USER_PASSWORD, DESKTOP
    ) as page:
        yield page


def tabs_to(page: Page, target: Locator, most: int) -> int:
    """Tab until `target` has the focus; how many presses it took (at most `most`)."""
    for presses in range(1, most + 1):
        page.keyboard.press("Tab")
        if target.evaluate("node => node === document.activeElement"):
            return presses
    raise AssertionError(f"not reached in {most} Tabs")


def _task(api: httpx.Client, staff: dict[str, Any], title: str, **fields: Any) -> dict[str, Any]:
    created = api.post(
        "/api/v1/tasks", json={"title": title, "assignee_ids": [staff["me"]["id"]], **fields}
    )
    assert created.status_code == 201, created.text
    body: dict[str, Any] = created.json()
    return body


def test_board_drag_search_and_bulk_complete(page: Page, api: httpx.Client, staff: dict[str, Any]):
    marker = staff["marker"]
    card = _task(api, staff, f"Draft briefing {marker}", due_date="2020-02-03")
    page.goto(f"{TASKS}?view=board&group=status&q={marker}")
    check_page(page, "tasks-board")
    target = page.locator('[data-column="in_progress"]')
    page.locator(f'[data-task="{card["id"]}"]').drag_to(target)
    expect(page.locator("[data-task-status]")).to_contain_text("moved to In progress")
    # The columns' counts follow the card (they said 1 and 0 until a reload).
    heading = page.locator("section.board-column h2")
    expect(heading.filter(has_text="Not started")).to_contain_text("(0)")
    expect(heading.filter(has_text="In progress")).to_contain_text("(1)")
    page.goto(f"{TASKS}?q={marker}&status=in_progress")
    expect(page.locator(f'tr[data-task="{card["id"]}"]')).to_be_visible()

    # Search by one word of a title.
    for n in range(3):
        _task(api, staff, f"Quarterly report {marker} part{n}")
    page.goto(TASKS)
    page.fill("input[name=q]", "quarterly")
    page.click(".task-filters button[type=submit]")
    rows = page.locator("tbody tr", has_text=f"Quarterly report {marker}")
    expect(rows).to_have_count(3)
    check_page(page, "tasks-list")

    # Bulk-complete the three: the bulk change shows once a box is ticked, counting them.
    bulk = page.locator("#bulk")
    expect(bulk).to_be_hidden()
    for n in range(3):
        page.check(f'tr:has-text("part{n}") input[name=item]')
    expect(bulk.locator("[data-bulk-count]")).to_have_text("Change the 3 selected tasks:")
    page.select_option("select[name=set_status]", "completed")
    page.click("#bulk button[type=submit]")
    # Back on the list as it was (its search kept), saying so.
    expect(page.locator("#toast")).to_have_text("3 tasks completed")
    expect(page.locator("input[name=q]")).to_have_value("quarterly")
    page.goto(f"{TASKS}?q=quarterly&status=completed")
    expect(page.locator("tbody tr", has_text=f"Quarterly report {marker}")).to_have_count(3)


def test_completing_a_colleagues_task_asks_first_and_the_phone_board_keeps_its_place(
    page: Page, api: httpx.Client, staff: dict[str, Any]
):
    marker = staff["marker"]
    colleague = staff["colleague"]
    theirs = _task(
        api,
        staff,
        f"Send invitations {marker}",
        assignee_ids=[colleague["id"]],
        due_date="2031-05-04",
    )
    page.goto(f"{TASKS}?q=Send+invitations+{marker}")
    page.locator(f'tr[data-task="{theirs["id"]}"]').get_by_role("button", name="Complete…").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        f"Complete {colleague['full_name']}'s task \u201cSend invitations {marker}\u201d?"
    )
    check_page(page, "task-confirm")
    page.get_by_role("button", name="Yes, complete it").click()
    expect(page.locator("#toast")).to_contain_text(
        f"\u201cSend invitations {marker}\u201d completed"
    )

    # On a phone the board's columns are stacked: a move without script comes back to the card.
    card = _task(api, staff, f"Phone card {marker}", due_date="2031-05-05")
    with page.context.new_page() as phone:
        phone.set_viewport_size({"width": 390, "height": 800})
        phone.goto(f"{TASKS}?view=board&group=status&q={marker}")
        moved = phone.locator(f'[data-task="{card["id"]}"]')
        moved.locator("select[name=value]").select_option("completed")
        moved.get_by_role("button", name="Move").click()
        expect(phone.locator(f"#task-{card['id']}")).to_be_in_viewport()
        assert phone.evaluate("window.scrollY") > 0


def test_a_colleagues_card_dragged_to_completed_asks_first_and_undo_puts_mine_back(
    page: Page, api: httpx.Client, staff: dict[str, Any]
):
    """Dragged to Completed, a colleague's card was done without a word (a list asked); a
    task completed or moved by mistake could only be put back by editing it. And completing
    hers and mine at once asks first."""
    marker = staff["marker"]
    colleague = staff["colleague"]
    theirs = _task(api, staff, f"Collect receipts {marker}", assignee_ids=[colleague["id"]])
    page.goto(f"{TASKS}?view=board&group=status&q=Collect+receipts+{marker}")
    card = page.locator(f'[data-task="{theirs["id"]}"]')
    dialog = page.get_by_role("dialog")
    question = f"Complete {colleague['full_name']}'s task \u201cCollect receipts {marker}\u201d?"

    card.drag_to(page.locator('[data-column="completed"]'))
    expect(dialog.get_by_role("heading")).to_have_text(question)
    expect(dialog.get_by_role("button", name="No, leave it")).to_be_focused()
    check_page(page, "tasks-board-question")
    page.keyboard.press("Enter")  # no
    expect(dialog).to_be_hidden()
    expect(page.locator('[data-column="not_started"]').locator(card)).to_be_visible()
    expect(page.locator("[data-task-status]")).to_have_text(
        f"\u201cCollect receipts {marker}\u201d stays in Not started"
    )
    assert api.get(f"/api/v1/tasks/{theirs['id']}").json()["status"] == "not_started"
    card.drag_to(page.locator('[data-column="completed"]'))
    dialog.get_by_role("button", name="Yes, complete it").click()
    expect(page.locator("[data-task-status]")).to_contain_text("moved to Completed")
    assert api.get(f"/api/v1/tasks/{theirs['id']}").json()["status"] == "completed"
    # The message's Undo puts the card back where it was, and the task with it.
    page.locator("#toast").get_by_role("button", name="Undo").click()
    expect(page.locator('[data-column="not_started"]').locator(card)).to_be_visible()
    expect(page.locator("#toast")).to_have_text(
        f"\u201cCollect receipts {marker}\u201d is back to Not started"
    )
    assert api.get(f"/api/v1/tasks/{theirs['id']}").json()["status"] == "not_started"

    # My own, completed from the list: the message offers Undo, by keyboard too.
    mine = _task(api, staff, f"File the report {marker}")
    page.goto(f"{TASKS}?q=File+the+report+{marker}")
    page.locator(f'tr[data-task="{mine["id"]}"]').get_by_role("button", name="Complete").click()
    toast = page.locator("#toast")
    expect(toast).to_contain_text(f"\u201cFile the report {marker}\u201d completed")
    check_page(page, "tasks-undo")
    toast.screenshot(path=SCREENSHOTS / "tasks-undo-toast.png")
    toast.get_by_role("button", name="Undo").focus()
    page.keyboard.press("Enter")
    expect(toast).to_have_text(f"\u201cFile the report {marker}\u201d is back to Not started")
    assert api.get(f"/api/v1/tasks/{mine['id']}").json()["status"] == "not_started"

    # Completing hers and mine at once asks first; "No" goes back to the list.
    hers = _task(api, staff, f"File the receipts {marker}", assignee_ids=[colleague["id"]])
    page.goto(f"{TASKS}?q=File+the+{marker}")
    for task in (mine, hers):
        page.check(f'tr[data-task="{task["id"]}"] input[name=item]')
    page.select_option("select[name=set_status]", "completed")
    page.click("#bulk button[type=submit]")
    expect(page.get_by_role("heading", level=1)).to_have_text("Complete 2 tasks?")
    expect(page.locator("[data-bulk-question]")).to_have_text(
        f"1 of them is assigned to others: {colleague['full_name']} (1)."
    )
    check_page(page, "tasks-bulk-question")
    page.get_by_role("link", name="No, go back").click()
    expect(page.locator("input[name=q]")).to_have_value(f"File the {marker}")
    assert api.get(f"/api/v1/tasks/{hers['id']}").json()["status"] == "not_started"


def test_bulk_add_an_assignee_by_first_name_keeping_the_others(
    page: Page, api: httpx.Client, staff: dict[str, Any]
):
    marker = staff["marker"]
    me, colleague = staff["me"]["id"], staff["colleague"]["id"]
    alone = _task(api, staff, f"Field visit {marker} alone")
    shared = _task(api, staff, f"Field visit {marker} shared", assignee_ids=[me, colleague])
    page.goto(f"{TASKS}?q=Field+visit+{marker}")
    for task in (alone, shared):
        page.check(f'tr[data-task="{task["id"]}"] input[name=item]')
    picker = page.locator("label", has_text="Add an assignee").locator(".ts-control input")
    picker.fill("Farida")
    page.locator(".ts-dropdown .option", has_text=staff["colleague"]["full_name"]).click()
    page.click("#bulk button[type=submit]")
    expect(page.locator("[data-bulk-summary]")).to_have_text(
        f"{staff['colleague']['full_name']} added to 1 task; 1 already had them."
    )
    check_page(page, "tasks-bulk-added")
    for task in (alone, shared):
        assert api.get(f"/api/v1/tasks/{task['id']}").json()["assignee_ids"] == [me, colleague]

    # The list filtered by that assignee with one click on Apply: the picker keeps its width
    # when it loses focus, so Apply stays under the pointer between mouse down and up.
    page.goto(f"{TASKS}?q=Field+visit+{marker}")
    filter_picker = page.locator(".task-filters label", has_text="Assigned to")
    filter_picker.locator(".ts-control input").fill("Farida")
    page.locator(".ts-dropdown .option", has_text=staff["colleague"]["full_name"]).click()
    page.click(".task-filters button[type=submit]")
    expect(page).to_have_url(re.compile(f"assignee={colleague}"))
    expect(page.locator("tbody tr[data-task]")).to_have_count(2)


def test_assign_by_first_name_stale_edit_and_delete(
    page: Page, api: httpx.Client, staff: dict[str, Any]
):
    marker = staff["marker"]
    task = _task(api, staff, f"Venue booking {marker}")
    page.goto(f"{TASKS}{task['id']}/")
    picker = page.locator("#edit .ts-control input")
    picker.fill("Farida")
    page.locator(".ts-dropdown .option", has_text=staff["colleague"]["full_name"]).click()
    page.click("#edit button[type=submit]")
    expect(page.locator("dl.facts")).to_contain_text(staff["colleague"]["full_name"])

    # Someone else saves while this form is open: the save is refused, the typing kept.
    page.goto(f"{TASKS}{task['id']}/")
    current = api.get(f"/api/v1/tasks/{task['id']}").json()
    changed = api.patch(
        f"/api/v1/tasks/{task['id']}",
        json={"priority": "critical"},
        headers={"If-Match": f'"{current["version"]}"'},
    )
    assert changed.status_code == 200, changed.text
    page.fill("#edit input[name=title]", f"Venue booking moved {marker}")
    page.click("#edit button[type=submit]")
    expect(page.locator("[data-conflict]")).to_contain_text("since you opened it")
    expect(page.locator("#edit input[name=title]")).to_have_value(f"Venue booking moved {marker}")
    assert api.get(f"/api/v1/tasks/{task['id']}").json()["priority"] == "critical"

    # The activity stream: who changed what, newest first, in words and full names.
    page.goto(f"{TASKS}{task['id']}/")
    stream = page.locator("[data-activity] > li")
    expect(stream).to_have_count(3)
    expect(stream.nth(0)).to_contain_text(f"{staff['me']['full_name']} changed")
    expect(stream.nth(0)).to_contain_text("Priority: Medium → Critical")
    expect(stream.nth(1)).to_contain_text(f"Assignees: Nurhan Ali {marker} →")
    expect(stream.nth(1)).to_contain_text(staff["colleague"]["full_name"])
    expect(stream.nth(2)).to_contain_text(f"{staff['me']['full_name']} created it")
    check_page(page, "task-activity")
    page.locator("#activity").screenshot(path=SCREENSHOTS / "task-activity.png")

    # Delete asks first.
    page.click("text=Delete task…")
    expect(page.locator("h1")).to_contain_text("Delete")
    page.click("text=Yes, delete the task")
    expect(page.locator("#toast")).to_contain_text("Task deleted")
    assert api.get(f"/api/v1/tasks/{task['id']}").status_code == 404


def test_waits_for_by_typing_part_of_a_title_then_remove(
    page: Page, api: httpx.Client, staff: dict[str, Any]
):
    marker = staff["marker"]
    task = _task(api, staff, f"Send the invitations {marker}")
    venue = _task(api, staff, f"Confirm the venue {marker}", due_date="2031-03-09")
    page.goto(f"{TASKS}{task['id']}/")
    section = page.locator("#waits-for")

    # By keyboard: type part of the title, pick it with Enter, Tab to "Add", Enter.
    section.locator(".ts-control input").fill(f"venue {marker}")
    option = page.locator(".ts-dropdown .option", has_text=venue["title"])
    expect(option).to_be_visible()
    expect(option).to_contain_text("Not started")
    page.keyboard.press("Enter")
    page.keyboard.press("Tab")
    expect(section.get_by_role("button", name="Add")).to_be_focused()
    page.keyboard.press("Enter")

    expect(page.locator("#toast")).to_contain_text("Dependency added")
    listed = section.locator("[data-dependencies] li")
    expect(listed).to_have_count(1)
    expect(listed).to_contain_text(venue["title"])
    expect(listed).to_contain_text("Not started")
    expect(page.locator("[data-waiting]")).to_have_text("Waiting for 1 task")
    assert api.get(f"/api/v1/tasks/{task['id']}").json()["depends_on"] == [venue["id"]]
    check_page(page, "tasks-dependencies")
    section.scroll_into_view_if_needed()
    page.screenshot(path=SCREENSHOTS / "task-dependencies.png", full_page=True)

    listed.get_by_role("button", name=f"Remove “{venue['title']}”").click()
    expect(page.locator("#toast")).to_contain_text("Dependency removed")
    expect(section.locator("[data-dependencies]")).to_have_count(0)
    expect(page.locator("[data-waiting]")).to_have_count(0)
    assert api.get(f"/api/v1/tasks/{task['id']}").json()["depends_on"] == []


def test_a_refused_new_task_keeps_its_people_as_left_and_its_focus_on_the_fault(
    page: Page, api: httpx.Client, staff: dict[str, Any]
):
    """Refused once, the form came back with its maker in the empty people picker: the
    colleague then added got a task shared with them; and focus went to the top."""
    page.goto(f"{TASKS}new/")
    page.click("form[data-task-form] button[type=submit]")  # no title
    title = page.locator("form[data-task-form] input[name=title]")
    expect(title).to_have_attribute("aria-invalid", "true")
    expect(title).to_be_focused()
    expect(page.locator("form[data-task-form] .ts-control .item")).to_have_count(0)

    # The picker shows where the keyboard is, as every other input does.
    picker = page.locator("form[data-task-form] .ts-control input")
    picker.focus()
    outline = page.locator("form[data-task-form] .ts-control").first.evaluate(
        "node => getComputedStyle(node).outlineStyle"
    )
    assert outline == "solid"

    title.fill(f"Only theirs {staff['marker']}")
    picker.fill(staff["colleague"]["full_name"].split()[0])
    page.locator(".ts-dropdown .option", has_text=staff["colleague"]["full_name"]).click()
    page.click("form[data-task-form] button[type=submit]")
    assignees = page.locator("dl.facts dt:text-is('Assignees') + dd")
    expect(assignees).to_have_text(staff["colleague"]["full_name"])


def test_a_quarterly_task_made_in_the_form_comes_back_when_completed(
    page: Page, staff: dict[str, Any]
):
    """Set by keyboard in the form, the rule reads in words on the task's page; completing the
    task links the next quarter's from the message, and the two link each other."""
    title = f"Quarterly accomplishment report {staff['marker']}"
    page.goto(f"{TASKS}new/")
    form = page.locator("form[data-task-form]")
    form.locator("input[name=title]").fill(title)
    form.locator("input[name=due_date]").fill("2031-03-31")
    form.locator("select[name=repeat]").focus()
    form.locator("select[name=repeat]").select_option(label="Every 3 months")
    form.locator("input[name=repeat_until]").fill("2031-12-31")
    check_page(page, "task-repeat-form")
    form.locator("button[type=submit]").press("Enter")

    repeats = page.locator("dl.facts [data-repeats]")
    expect(repeats).to_contain_text("Every 3 months, until Wed 31 Dec 2031")
    expect(repeats).to_contain_text("The next one is created when this one is completed.")
    page.get_by_role("button", name="Mark complete").click()
    following = page.locator("#toast a.next-occurrence")
    expect(following).to_have_text("Next one due Mon 30 Jun 2031")
    check_page(page, "task-repeat-completed")
    following.click()
    expect(page.locator("h1")).to_have_text(title)
    expect(page.locator("dl.facts [data-repeats]")).to_contain_text("Previous: due Mon 31 Mar 2031")


TEMPLATES = "/oobc-management/staff/task-templates/"


def test_templates_read_by_their_names_and_say_what_a_placeholder_becomes(
    browser: Browser, gateway: ServedApp
):
    """A manager reads the templates by name ("Meeting (standard)", never its code), each
    placeholder of a title said in words, and a task made from one names it so."""
    with httpx.Client(base_url=gateway.url, timeout=30) as client:
        made = client.post(
            "/api/v1/task-templates/event_meeting_standard/generate",
            json={
                "subject_kind": "event",
                "subject_id": str(uuid.uuid4()),
                "base_date": "2031-05-05",
                "context": {"event_title": "Board meeting"},
            },
            headers=token_for(client, "admin", ADMIN_PASSWORD),
        )
    assert made.status_code == 201, made.text
    task = made.json()["tasks"][0]
    with browser_session(browser, gateway.url, "admin", ADMIN_PASSWORD, DESKTOP) as page:
        page.goto(TEMPLATES)
        main = page.locator("main")
        for code in ("event_meeting_standard", "Event meeting standard", "Mana assessment"):
            expect(main).not_to_contain_text(code)
        check_page(page, "task-templates")
        page.get_by_role("link", name="Meeting (standard)").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("Meeting (standard)")
        expect(main).to_contain_text(
            "When the tasks are made, {event_title} in a title becomes the event\u2019s title."
        )
        editor = page.locator("#edit")
        for placeholder, record in (("ppa_title", "PPA"), ("event_title", "event")):
            expect(editor).to_contain_text(f"{{{placeholder}}} becomes the {record}\u2019s title")
        check_page(page, "task-template")
        page.goto(f"{TASKS}{task['id']}/")
        expect(page.locator("dl.facts")).to_contain_text("Meeting (standard) (generated)")
        expect(page.locator("main")).not_to_contain_text("event_meeting_standard")


def test_a_task_never_started_reopens_as_not_started(
    page: Page, api: httpx.Client, staff: dict[str, Any]
):
    """Completed by mistake, then reopened: back to "Not started", as it was, not "In
    progress" (the tasks service reads what it was before its completion)."""
    task = _task(api, staff, f"Print the programme {staff['marker']}")
    page.goto(f"{TASKS}{task['id']}/")
    status = page.locator("dl.facts .badge").first
    expect(status).to_have_text("Not started")
    page.get_by_role("button", name="Mark complete").click()
    expect(status).to_have_text("Completed")
    page.get_by_role("button", name="Reopen").click()
    expect(page.locator("#toast")).to_contain_text("reopened")
    expect(status).to_have_text("Not started")
    check_page(page, "task-reopened")


def test_the_title_takes_the_spare_width_of_a_wide_list(
    page: Page, api: httpx.Client, staff: dict[str, Any]
):
    """At 1,440 px a long title wrapped onto five lines in a column of 120 px while the due
    and created dates sat in wide columns."""
    marker = uuid.uuid4().hex[:6]
    long = (
        f"Budget review of Mangrove rehabilitation in coastal barangays of Lanao del Norte {marker}"
    )
    _task(
        api,
        staff,
        long,
        assignee_ids=[staff["me"]["id"], staff["colleague"]["id"]],
        due_date="2031-06-02",
    )
    _task(api, staff, f"Wide list neighbour {marker}", due_date="2020-06-03")  # overdue
    # A colleague's: three quick actions (Start…, Complete…, Add me).
    _task(api, staff, f"Their task {marker}", assignee_ids=[staff["colleague"]["id"]])
    page.goto(f"{TASKS}?q={marker}")
    title = page.locator("tbody td[data-label=Title]", has_text="Budget review").bounding_box()
    due = page.locator("tbody td[data-label=Due]").first.bounding_box()
    created = page.locator("tbody td[data-label=Created]").first.bounding_box()
    assert title
    assert due
    assert created
    assert title["width"] >= 380, title
    assert title["width"] > 2.5 * max(due["width"], created["width"])
    lines = page.get_by_role("link", name=long).bounding_box()
    one_line = page.get_by_role("link", name=f"Wide list neighbour {marker}").bounding_box()
    assert lines
    assert one_line
    assert lines["height"] <= 2.5 * one_line["height"]  # two lines at most
    page.screenshot(path=SCREENSHOTS / "tasks-wide-title.png")


def test_bulk_replace_the_assignees_with_someone_not_on_the_page(
    page: Page, api: httpx.Client, staff: dict[str, Any]
):
    """ "Replace the assignees with" offered only the people named on the page shown: a
    colleague with no task there could only be added, then the others removed, in two runs."""
    marker = staff["marker"]
    colleague = staff["colleague"]
    tasks = [_task(api, staff, f"Hand over {marker} part{n}") for n in range(2)]
    page.goto(f"{TASKS}?q=Hand+over+{marker}")
    expect(page.locator("tbody")).not_to_contain_text(colleague["full_name"])
    for task in tasks:
        page.check(f'tr[data-task="{task["id"]}"] input[name=item]')
    picker = page.locator("label", has_text="Replace the assignees with")
    picker.locator(".ts-control input").fill("Farida")
    page.locator(".ts-dropdown .option", has_text=colleague["full_name"]).click()
    page.click("#bulk button[type=submit]")
    expect(page.locator("#toast")).to_have_text(f"2 tasks reassigned to {colleague['full_name']}")
    for task in tasks:
        assert api.get(f"/api/v1/tasks/{task['id']}").json()["assignee_ids"] == [colleague["id"]]


def test_by_keyboard_the_tasks_are_a_skip_away_and_an_action_comes_back_to_its_message(
    page: Page, api: httpx.Client, staff: dict[str, Any]
):
    """53 Tabs led to a task's Complete (the menu, the filters, the whole bulk change), and
    after it the page came back with the keyboard at its top."""
    marker = uuid.uuid4().hex[:6]
    task = _task(api, staff, f"Send invitations {marker}")
    page.goto(f"{TASKS}?q=Send+invitations+{marker}")
    page.keyboard.press("Tab")
    expect(page.get_by_role("link", name="Skip to the content")).to_be_focused()
    page.keyboard.press("Enter")
    page.keyboard.press("Tab")
    expect(page.get_by_role("link", name="Skip to the tasks")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.locator("#results")).to_be_focused()
    # Then the list (select all, the sort headings, the task's box, title, Start, Complete),
    # before the bulk change.
    row = page.locator(f'tr[data-task="{task["id"]}"]')
    assert tabs_to(page, row.get_by_role("button", name="Complete"), 11) == 11
    page.keyboard.press("Enter")

    toast = page.locator("#toast")
    expect(toast).to_contain_text(f"\u201cSend invitations {marker}\u201d completed")
    expect(toast).to_be_focused()
    page.keyboard.press("Tab")
    expect(toast.get_by_role("button", name="Undo")).to_be_focused()
    page.keyboard.press("Tab")
    expect(page.get_by_role("link", name="Skip to the tasks")).to_be_focused()
    page.screenshot(path=SCREENSHOTS / "tasks-after-complete-keyboard.png")

    # A ticked box brings the bulk change, after the tasks.
    page.goto(f"{TASKS}?q=Send+invitations+{marker}")
    row.locator("input[name=item]").focus()
    page.keyboard.press("Space")
    bulk = page.locator("#bulk")
    expect(bulk).to_be_visible()
    assert tabs_to(page, bulk.locator("select[name=set_status]"), 4) <= 4


def test_on_a_phone_the_tasks_come_first_folded_filters_and_tight_cards(
    browser: Browser, gateway: ServedApp, api: httpx.Client, staff: dict[str, Any]
):
    """At 390 px the list and the board began with two screens of forms (every filter and the
    whole bulk change), and each task was a card of 250 px: 50 tasks made 18,700 px."""
    marker = uuid.uuid4().hex[:6]
    tasks = [
        _task(api, staff, f"Phone list {marker} number {n}", due_date=f"2031-07-0{n + 1}")
        for n in range(6)
    ]
    with browser_session(
        browser, gateway.url, staff["me"]["username"], USER_PASSWORD, PHONE
    ) as phone:
        phone.goto(f"{TASKS}?q={marker}&status=not_started&priority=medium")
        filters = phone.locator("details[data-filters]")
        expect(filters.locator("summary")).to_have_text("Filters (2 active)")
        expect(phone.locator(".task-filters select[name=status]")).to_be_hidden()
        expect(phone.locator("#bulk")).to_be_hidden()
        rows = phone.locator("tbody tr[data-task]")
        expect(rows).to_have_count(6)
        first = rows.first.bounding_box()
        assert first
        assert first["y"] + first["height"] < PHONE["height"], "the first task on the first screen"
        heights = [box["height"] for box in (row.bounding_box() for row in rows.all()) if box]
        assert max(heights) <= 140, heights
        phone.screenshot(path=SCREENSHOTS / "tasks-phone-top.png")
        phone.screenshot(path=SCREENSHOTS / "tasks-phone-list.png", full_page=True)

        # The filters open with a tap, as they were; a ticked box brings the bulk change.
        filters.locator("summary").click()
        expect(phone.locator(".task-filters select[name=status]")).to_have_value("not_started")
        phone.locator(f'tr[data-task="{tasks[0]["id"]}"] input[name=item]').check()
        expect(phone.locator("#bulk")).to_be_visible()
        expect(phone.locator("#bulk [data-bulk-count]")).to_have_text("Change the selected task:")
        check_page(phone, "tasks-phone-filters-open")

        # The board too: its first card on the first screen.
        phone.set_viewport_size(PHONE)
        phone.goto(f"{TASKS}?view=board&group=status&q={marker}")
        expect(phone.locator("details[data-filters] summary")).to_have_text("Filters")
        card = phone.locator(".task-card").first.bounding_box()
        assert card
        assert card["y"] + card["height"] < PHONE["height"]
        phone.screenshot(path=SCREENSHOTS / "tasks-phone-board.png")
