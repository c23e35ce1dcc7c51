"""The event pages against the real calendar service: the new-event form (page and the
calendar dialog's fragment), repeats in words, errors beside their fields, editing a series
at each scope with If-Match, cancel and delete behind a confirmation, conflicts, bookings
made from the form, who may change what, the people search and a resource's week."""

# ruff: noqa: RUF001 - the pages' dashes and quotes are the typographic ones

from __future__ import annotations

import html
import json
import re
import uuid
from typing import Any

import httpx
import pytest
from feed_helpers import outbox_events
from gateway_helpers import (
    ADMIN_PASSWORD,
    USER_PASSWORD,
    create_user,
    csrf_header,
    post,
    signed_in,
    submit,
    token_for,
    visible_text,
)

FRONTS_CALENDAR = True  # the conftest gateway fronts the calendar service too

EVENTS = "/oobc-management/calendar/events/"
NEW = EVENTS + "new/"
PEOPLE = "/oobc-management/people.json"
RESOURCES = "/oobc-management/resources/"
FRAGMENT = {"X-Fragment": "form"}


@pytest.fixture
def admin(make_client) -> httpx.Client:
    return signed_in(make_client(), "admin", ADMIN_PASSWORD)


def _form(**values: Any) -> dict[str, Any]:
    """The new-event form as a browser submits it (unticked boxes absent)."""
    data: dict[str, Any] = {
        "title": "",
        "event_type": "meeting",
        "venue": "",
        "description": "",
        "start": "2031-06-02T09:00",
        "end": "2031-06-02T10:00",
        "timezone": "Asia/Manila",
        "repeats": "",
        "interval": "1",
        "monthly_by": "date",
        "setpos": "1",
        "setpos_weekday": "1",
        "ends": "never",
        "until": "",
        "count": "",
        "resource_id": "",
    }
    data.update(values)
    return data


def _event_id(response: httpx.Response) -> str:
    assert response.status_code == 303, response.text
    match = re.fullmatch(
        re.escape(EVENTS) + r"([0-9a-f-]{36})/(\?.*)?", response.headers["location"]
    )
    assert match, response.headers["location"]
    return match.group(1)


def _create(client: httpx.Client, **values: Any) -> str:
    return _event_id(submit(client, NEW, _form(**values)))


def _api_event(client: httpx.Client, headers: dict[str, str], event_id: str) -> dict[str, Any]:
    response = client.get(f"/api/v1/events/{event_id}", headers=headers)
    assert response.status_code == 200, response.text
    return response.json()


def _occurrences(
    client: httpx.Client, headers: dict[str, str], event_id: str, start: str, end: str
) -> list[dict[str, Any]]:
    response = client.get(
        f"/api/v1/events/{event_id}/occurrences",
        params={"start": start, "end": end},
        headers=headers,
    )
    assert response.status_code == 200, response.text
    return response.json()


def _local_starts(occurrences: list[dict[str, Any]]) -> list[str]:
    """Occurrence starts as Manila wall-clock "YYYY-MM-DDTHH:MM"."""
    from datetime import datetime
    from zoneinfo import ZoneInfo

    zone = ZoneInfo("Asia/Manila")
    return [
        datetime.fromisoformat(o["start"]).astimezone(zone).strftime("%Y-%m-%dT%H:%M")
        for o in occurrences
    ]


def _create_series(
    client: httpx.Client, headers: dict[str, str], window: tuple[str, str], **values: Any
) -> tuple[str, str, list[str]]:
    """A repeating event made through the form: its id, its page, and the Manila wall-clock
    starts of its occurrences in `window`."""
    event_id = _create(client, **values)
    page = client.get(f"{EVENTS}{event_id}/").text
    return event_id, page, _local_starts(_occurrences(client, headers, event_id, *window))


def _field_error(page: str, name: str) -> str:
    found = re.search(rf'<span class="field-error" id="ev-{name}-error">([^<]*)</span>', page)
    assert found, f"no error beside {name}"
    return found.group(1)


def test_one_off_event_through_the_form_and_the_dialog(make_client, admin, admin_headers):
    maria = create_user(make_client(), admin_headers, "staff", "Maria Santos")
    marker = uuid.uuid4().hex[:8]

    form = admin.get(
        NEW, params={"start": "2031-06-02T09:00:00+08:00", "end": "2031-06-02T10:30:00+08:00"}
    )
    assert form.status_code == 200
    assert 'value="2031-06-02T09:00"' in form.text
    assert 'value="2031-06-02T10:30"' in form.text
    assert ">Courtesy call</option>" in form.text  # types by their labels
    assert '<option value="Asia/Manila" selected>Manila (Asia)</option>' in form.text  # by city
    assert "<html" in form.text
    fragment = admin.get(
        NEW, params={"start": "2031-06-02", "end": "2031-06-04", "all_day": "1"}, headers=FRAGMENT
    )
    assert fragment.status_code == 200
    assert "<html" not in fragment.text
    assert fragment.text.lstrip().startswith("<form")
    # FullCalendar's all-day selection ends the next day; the form's last day is inclusive.
    assert 'name="start" type="date" value="2031-06-02"' in fragment.text
    assert 'name="end" type="date" value="2031-06-03"' in fragment.text

    created = submit(
        admin,
        NEW,
        _form(
            title=f"Budget hearing {marker}",
            venue="OOBC hall",
            participant_ids=[maria["id"]],
            start="2031-06-02T09:00",
            end="2031-06-02T10:30",
        ),
    )
    event_id = _event_id(created)
    assert "saved=created" in created.headers["location"]
    page = admin.get(created.headers["location"])
    assert page.status_code == 200
    assert "Event created" in page.text
    assert f"Budget hearing {marker}" in page.text
    assert "Mon 2 Jun 2031, 09:00–10:30" in page.text
    assert "Maria Santos" in page.text
    assert maria["username"] not in page.text
    assert "2031-06-02T01:00" not in page.text  # no raw ISO time
    event = _api_event(admin, admin_headers, event_id)
    assert event["participant_ids"] == [maria["id"]]
    assert event["start"].startswith("2031-06-02T01:00:00")  # 09:00 Manila

    # The calendar's dialog: the same form, answered with JSON.
    dialog = admin.post(
        NEW,
        data={
            **_form(
                title=f"Dialog event {marker}", all_day="1", start="2031-06-03", end="2031-06-04"
            ),
            "csrftoken": admin.cookies["csrftoken"],
        },
        headers={**FRAGMENT, "X-CSRFToken": admin.cookies["csrftoken"]},
    )
    assert dialog.status_code == 201, dialog.text
    body = dialog.json()
    assert body["message"] == f"Event “Dialog event {marker}” created"
    assert re.fullmatch(re.escape(EVENTS) + r"[0-9a-f-]{36}/", body["url"])
    assert isinstance(body["warnings"], list)
    all_day = admin.get(body["url"]).text
    assert "Tue 3 Jun 2031 – Wed 4 Jun 2031" in all_day
    # Its days are everyone's: someone in London sees the same two days, not a day early.
    londoner = create_user(make_client(), admin_headers)
    headers = token_for(make_client(), londoner["username"], USER_PASSWORD)
    me = make_client().get("/api/v1/users/me", headers=headers)
    zoned = make_client().patch(
        "/api/v1/users/me",
        json={"time_zone": "Europe/London"},
        headers={**headers, "If-Match": me.headers["etag"]},
    )
    assert zoned.status_code == 200, zoned.text
    seen = signed_in(make_client(), londoner["username"]).get(body["url"]).text
    assert "Tue 3 Jun 2031 – Wed 4 Jun 2031" in seen
    assert "Mon 2 Jun 2031" not in seen
    refused = admin.post(
        NEW,
        data={**_form(title=""), "csrftoken": admin.cookies["csrftoken"]},
        headers={**FRAGMENT, "X-CSRFToken": admin.cookies["csrftoken"]},
    )
    assert refused.status_code == 422
    assert "<html" not in refused.text
    assert _field_error(refused.text, "title") == "Give the event a title"


# Repeating events made through the form: (title, the window read back, the form's values,
# the rule as the page words it, the Manila wall-clock starts in the window).
SERIES_CASES: tuple[tuple[str, tuple[str, str], dict[str, Any], str, list[str]], ...] = (
    (
        "Weekly sync",
        ("2031-06-01", "2031-07-31"),
        {
            "start": "2031-06-02T09:00",
            "end": "2031-06-02T10:00",
            "repeats": "weekly",
            "weekdays": ["1", "3"],
            "ends": "on",
            "until": "2031-06-30",
        },
        "Every week on Monday and Wednesday, until Mon 30 Jun 2031",
        [
            "2031-06-02T09:00",
            "2031-06-04T09:00",
            "2031-06-09T09:00",
            "2031-06-11T09:00",
            "2031-06-16T09:00",
            "2031-06-18T09:00",
            "2031-06-23T09:00",
            "2031-06-25T09:00",
            "2031-06-30T09:00",
        ],
    ),
    (
        "Monthly review",
        ("2031-07-01", "2031-12-31"),
        {
            "start": "2031-07-08T14:00",
            "end": "2031-07-08T15:00",
            "repeats": "monthly",
            "monthly_by": "weekday",
            "setpos": "2",
            "setpos_weekday": "2",
            "ends": "after",
            "count": "4",
        },
        "Every month on the second Tuesday, 4 times",
        ["2031-07-08T14:00", "2031-08-12T14:00", "2031-09-09T14:00", "2031-10-14T14:00"],
    ),
    (
        "Month-end report",
        ("2031-07-01", "2032-01-01"),
        {
            "start": "2031-07-25T16:00",
            "end": "2031-07-25T17:00",
            "repeats": "monthly",
            "interval": "2",
            "monthly_by": "weekday",
            "setpos": "-1",
            "setpos_weekday": "5",
        },
        "Every 2 months on the last Friday",
        ["2031-07-25T16:00", "2031-09-26T16:00", "2031-11-28T16:00"],
    ),
)


def _zone_groups(page: str) -> dict[str, list[str]]:
    """The time zone list's groups: label -> the zones offered, in order."""
    select = re.search(r'<select name="timezone".*?</select>', page, re.S)
    assert select, "no time zone list"
    return {
        label: re.findall(r'<option value="([^"]+)"', options)
        for label, options in re.findall(
            r'<optgroup label="([^"]+)">(.*?)</optgroup>', select.group(0), re.S
        )
    }


def test_the_time_zone_list_offers_the_usual_zones_first_and_no_old_aliases(
    make_client, admin, admin_headers
):
    """QA: the list began with "Abidjan (Africa)" and held every alias ("Asmera",
    "Timbuktu"), the office's zone somewhere in the middle of 600."""
    london = create_user(make_client(), admin_headers, "staff", "Lena London")
    headers = token_for(make_client(), london["username"], USER_PASSWORD)
    changed = make_client().patch(
        "/api/v1/users/me", json={"time_zone": "Europe/London"}, headers=headers
    )
    assert changed.status_code == 200, changed.text
    page = signed_in(make_client(), london["username"]).get(NEW).text
    groups = _zone_groups(page)
    assert list(groups) == ["Usual time zones", "Every other time zone"]
    usual, others = groups.values()
    # Hers (the form's), the office's, then the office's neighbours.
    assert usual[:2] == ["Europe/London", "Asia/Manila"]
    assert {"Asia/Singapore", "Asia/Jakarta", "Asia/Kuala_Lumpur", "Asia/Bangkok"} <= set(usual)
    assert "Europe/Paris" not in usual
    assert len(usual) < 25
    assert {"Europe/Paris", "Asia/Kolkata", "America/Argentina/Buenos_Aires", "UTC"} <= set(others)
    offered = usual + others
    assert len(offered) == len(set(offered))
    for alias in ("Africa/Asmera", "Africa/Timbuktu", "Asia/Calcutta", "US/Pacific", "GMT+0"):
        assert alias not in offered, alias
    assert '<option value="Europe/London" selected>London (Europe)</option>' in page

    # An event stored with an old alias keeps it: offered first, chosen.
    event = post(
        make_client(),
        admin_headers,
        "/events",
        {
            "title": "Call with Kolkata",
            "event_type": "meeting",
            "start": "2031-06-03T10:00:00+05:30",
            "end": "2031-06-03T11:00:00+05:30",
            "timezone": "Asia/Calcutta",
        },
    )
    edit = admin.get(f"{EVENTS}{event['id']}/edit/").text
    assert _zone_groups(edit)["Usual time zones"][:2] == ["Asia/Calcutta", "Asia/Manila"]
    assert '<option value="Asia/Calcutta" selected>Calcutta (Asia)</option>' in edit


def test_weekly_and_monthly_series_through_the_form(admin, admin_headers):
    marker = uuid.uuid4().hex[:8]
    for title, window, values, rule, expected_starts in SERIES_CASES:
        last_series, page, starts = _create_series(
            admin, admin_headers, window, title=f"{title} {marker}", **values
        )
        assert rule in page
        assert starts == expected_starts
    # The edit form reads the last (the last-Friday) rule back as it was chosen.
    edit = admin.get(f"{EVENTS}{last_series}/edit/").text
    assert re.search(r'<option value="-1" selected>last</option>', edit)
    assert re.search(r'<option value="5" selected>Friday</option>', edit)


def test_every_error_beside_its_field_at_once(admin):
    marker = uuid.uuid4().hex[:8]
    refused = submit(
        admin,
        NEW,
        _form(
            title="",
            venue=f"Room {marker}",
            start="2031-06-02T11:00",
            end="2031-06-02T10:00",
            repeats="weekly",
            interval="0",
            ends="on",
            until="",
            timezone="Mars/Olympus",
        ),
    )
    assert refused.status_code == 422
    page = refused.text
    assert "Please correct the 5 fields marked below." in page
    assert _field_error(page, "title") == "Give the event a title"
    assert _field_error(page, "end") == "The end must be after the start"
    assert _field_error(page, "interval") == "A whole number from 1 to 1000"
    assert _field_error(page, "until") == "Give the date of the last occurrence"
    assert _field_error(page, "timezone") == "Choose a time zone from the list"
    assert f'value="Room {marker}"' in page  # what was typed is kept
    assert 'value="2031-06-02T11:00"' in page
    assert '<option value="weekly" selected>' in page

    # The service's own refusal lands beside the input too (recurrence.until -> until).
    too_long = submit(
        admin,
        NEW,
        _form(title=f"Too long {marker}", repeats="daily", ends="on", until="2039-01-01"),
    )
    assert too_long.status_code == 422
    assert "years after the event" in _field_error(too_long.text, "until")
    assert "recurrence.until" not in too_long.text


def test_stale_version_is_refused_and_their_change_kept(make_client, admin, admin_headers):
    marker = uuid.uuid4().hex[:8]
    event_id = _create(
        admin, title=f"Planning {marker}", start="2031-08-04T09:00", end="2031-08-04T10:00"
    )
    edit = admin.get(f"{EVENTS}{event_id}/edit/")
    version = re.search(r'name="version" value="(\d+)"', edit.text).group(1)
    theirs = make_client().patch(
        f"/api/v1/events/{event_id}",
        json={"title": f"Their title {marker}"},
        headers={**admin_headers, "If-Match": f'"{version}"'},
    )
    assert theirs.status_code == 200, theirs.text
    mine = submit(
        admin,
        f"{EVENTS}{event_id}/edit/",
        _form(
            title=f"My title {marker}",
            version=version,
            start="2031-08-04T09:00",
            end="2031-08-04T10:00",
        ),
    )
    assert mine.status_code == 412
    assert "This event was changed by Administrator since you opened it" in mine.text
    assert f'value="My title {marker}"' in mine.text  # what I typed, to copy
    assert _api_event(admin, admin_headers, event_id)["title"] == f"Their title {marker}"
    # The form now carries the stored version: saving again replaces their change knowingly.
    current = re.search(r'name="version" value="(\d+)"', mine.text).group(1)
    assert int(current) > int(version)
    again = submit(
        admin,
        f"{EVENTS}{event_id}/edit/",
        _form(
            title=f"My title {marker}",
            version=current,
            start="2031-08-04T09:00",
            end="2031-08-04T10:00",
        ),
    )
    assert again.status_code in (200, 303), again.text
    assert _api_event(admin, admin_headers, event_id)["title"] == f"My title {marker}"


def _as_opened(page: str) -> dict[str, Any]:
    """What a browser sends from an event's edit form left as it is."""
    version = re.search(r'name="version" value="(\d+)"', page)
    read = re.search(r'name="read_state" value="([^"]*)"', page)
    assert version
    assert read
    state = html.unescape(read.group(1))
    values = {name: value for name, value in json.loads(state).items() if value not in ("", [])}
    if values.pop("all_day"):
        values["all_day"] = "on"
    return {**values, "version": version.group(1), "read_state": state}


def test_a_stale_save_keeps_the_colleagues_change_where_i_changed_nothing(
    make_client, admin, admin_headers
):
    """A colleague moves the meeting to another room while I retitle it: refused as stale,
    my form comes back with their room and my title, and saving again keeps both (it put
    the old room back)."""
    marker = uuid.uuid4().hex[:8]
    event_id = _create(
        admin,
        title=f"Review {marker}",
        venue="Room 1",
        start="2031-08-05T09:00",
        end="2031-08-05T10:00",
    )
    mine = _as_opened(admin.get(f"{EVENTS}{event_id}/edit/").text)
    theirs = make_client().patch(
        f"/api/v1/events/{event_id}",
        json={"venue": "Room 9"},
        headers={**admin_headers, "If-Match": f'"{mine["version"]}"'},
    )
    assert theirs.status_code == 200, theirs.text
    stale = submit(admin, f"{EVENTS}{event_id}/edit/", {**mine, "title": f"Review v2 {marker}"})
    assert stale.status_code == 412
    assert 'value="Room 9"' in stale.text
    assert f'value="Review v2 {marker}"' in stale.text
    again = submit(
        admin,
        f"{EVENTS}{event_id}/edit/",
        _as_opened(stale.text) | {"title": f"Review v2 {marker}"},
    )
    assert again.status_code in (200, 303), again.text
    stored = _api_event(admin, admin_headers, event_id)
    assert (stored["title"], stored["venue"]) == (f"Review v2 {marker}", "Room 9")


def test_series_edits_at_each_scope(admin, admin_headers):
    marker = uuid.uuid4().hex[:8]
    series = _create(
        admin,
        title=f"Standup {marker}",
        venue="Room 1",
        start="2031-09-01T09:00",
        end="2031-09-01T09:30",
        repeats="weekly",
        weekdays=["1"],
        ends="after",
        count="8",
    )
    window = ("2031-09-01", "2031-11-01")

    def edit(day: str, **values: Any) -> httpx.Response:
        page = admin.get(f"{EVENTS}{series}/edit/", params={"occurrence": day})
        assert page.status_code == 200
        assert 'name="scope" value="this"' in page.text
        version = re.search(r'name="version" value="(\d+)"', page.text).group(1)
        start = re.search(r'name="start" type="datetime-local" value="([^"]+)"', page.text).group(1)
        end = re.search(r'name="end" type="datetime-local" value="([^"]+)"', page.text).group(1)
        data = _form(
            title=f"Standup {marker}",
            venue="Room 1",
            start=start,
            end=end,
            repeats="weekly",
            weekdays=["1"],
            ends="after",
            count="8",
            version=version,
        )
        data.update(values)
        return submit(admin, f"{EVENTS}{series}/edit/?occurrence={day}", data)

    # A series needs the scope.
    missing = edit("2031-09-08", title="x")
    missing_scope = missing.text
    assert missing.status_code == 422
    assert _field_error(missing_scope, "scope") == "Choose which occurrences to change"

    # This occurrence: moved an hour later, the others stay.
    this = edit("2031-09-15", scope="this", start="2031-09-15T10:00", end="2031-09-15T10:30")
    assert this.status_code == 303, this.text
    starts = _local_starts(_occurrences(admin, admin_headers, series, *window))
    assert starts[:4] == [
        "2031-09-01T09:00",
        "2031-09-08T09:00",
        "2031-09-15T10:00",
        "2031-09-22T09:00",
    ]
    page = admin.get(this.headers["location"]).text
    assert "Occurrence saved" in page
    assert "moved to Mon 15 Sep 2031, 10:00–10:30" in page
    # A day the series has no occurrence on is no form; its page is the series, saying so.
    assert (
        admin.get(f"{EVENTS}{series}/edit/", params={"occurrence": "2031-09-16"}).status_code == 404
    )
    no_such_day = admin.get(f"{EVENTS}{series}/", params={"occurrence": "2031-09-16"})
    assert "no occurrence on Tue 16 Sep 2031 any more" in no_such_day.text
    # Only times, title and venue are an occurrence's own.
    refused = edit("2031-09-22", scope="this", event_type="workshop")
    assert refused.status_code == 422
    assert "All occurrences" in _field_error(refused.text, "event_type")

    # This and following: the series ends before, a new one carries the change.
    following = edit("2031-10-06", scope="following", title=f"Standup v2 {marker}")
    assert following.status_code == 303, following.text
    after_id = _event_id(following)
    assert after_id != series
    before = _api_event(admin, admin_headers, series)
    assert before["title"] == f"Standup {marker}"
    assert _local_starts(_occurrences(admin, admin_headers, series, *window)) == [
        "2031-09-01T09:00",
        "2031-09-08T09:00",
        "2031-09-15T10:00",
        "2031-09-22T09:00",
        "2031-09-29T09:00",
    ]
    after = _occurrences(admin, admin_headers, after_id, *window)
    assert _local_starts(after) == ["2031-10-06T09:00", "2031-10-13T09:00", "2031-10-20T09:00"]
    assert {o["title"] for o in after} == {f"Standup v2 {marker}"}
    # Each half's page links the other.
    later_page = admin.get(f"{EVENTS}{after_id}/").text
    assert (
        f'<dt>Earlier occurrences</dt><dd>In <a href="{EVENTS}{series}/">“Standup {marker}”</a>'
    ) in later_page
    earlier_page = admin.get(f"{EVENTS}{series}/").text
    assert (
        f'<dt>Later occurrences</dt><dd>From Mon 6 Oct 2031 in <a href="{EVENTS}{after_id}/">'
        f"“Standup v2 {marker}”</a>"
    ) in earlier_page
    assert "Later occurrences" not in later_page

    # All occurrences: a new venue and half an hour later, from any occurrence.
    page = admin.get(f"{EVENTS}{after_id}/edit/", params={"occurrence": "2031-10-13"}).text
    version = re.search(r'name="version" value="(\d+)"', page).group(1)
    every = submit(
        admin,
        f"{EVENTS}{after_id}/edit/?occurrence=2031-10-13",
        _form(
            title=f"Standup v2 {marker}",
            venue="Room 2",
            start="2031-10-13T09:30",
            end="2031-10-13T10:00",
            repeats="weekly",
            weekdays=["1"],
            ends="after",
            count="3",
            version=version,
            scope="all",
        ),
    )
    assert every.status_code == 303, every.text
    after = _occurrences(admin, admin_headers, after_id, *window)
    assert _local_starts(after) == ["2031-10-06T09:30", "2031-10-13T09:30", "2031-10-20T09:30"]
    assert {o["venue"] for o in after} == {"Room 2"}


def test_an_occurrence_moves_whatever_order_its_people_were_added_in_and_a_series_moves_days(
    make_client, admin, admin_headers
):
    """The form lists participants by name; the event keeps them as they were added: moving
    one occurrence was refused as a change of participants. And moving a weekly series to
    another weekday from a later occurrence moves its rule too (it kept Wednesdays and
    lost one meeting, and everyone was told of a day with none)."""
    marker = uuid.uuid4().hex[:8]
    zara = create_user(make_client(), admin_headers, full_name=f"Zara {marker}")
    abel = create_user(make_client(), admin_headers, full_name=f"Abel {marker}")
    people = [zara["id"], abel["id"]]  # added Zara first: not the picker's order
    series = _create(
        admin,
        title=f"Sync {marker}",
        start="2031-12-03T10:00",
        end="2031-12-03T11:00",
        repeats="weekly",
        weekdays=["3"],
        ends="after",
        count="4",
        participant_ids=people,
    )
    assert _api_event(admin, admin_headers, series)["participant_ids"] == people
    window = ("2031-12-01", "2032-01-15")

    def edit(day: str, **values: Any) -> httpx.Response:
        page = admin.get(f"{EVENTS}{series}/edit/", params={"occurrence": day}).text
        version = re.search(r'name="version" value="(\d+)"', page).group(1)
        data = _form(
            title=f"Sync {marker}",
            repeats="weekly",
            weekdays=["3"],
            ends="after",
            count="4",
            participant_ids=sorted(people, key=lambda p: p != abel["id"]),  # Abel, Zara
            version=version,
        )
        data.update(values)
        return submit(admin, f"{EVENTS}{series}/edit/?occurrence={day}", data)

    moved = edit("2031-12-10", scope="this", start="2031-12-10T14:00", end="2031-12-10T15:00")
    assert moved.status_code == 303, moved.text
    assert _local_starts(_occurrences(admin, admin_headers, series, *window)) == [
        "2031-12-03T10:00",
        "2031-12-10T14:00",
        "2031-12-17T10:00",
        "2031-12-24T10:00",
    ]

    # From the third Wednesday, every occurrence to Thursday at 09:30.
    every = edit("2031-12-17", scope="all", start="2031-12-18T09:30", end="2031-12-18T10:30")
    assert every.status_code == 303, every.text
    event = _api_event(admin, admin_headers, series)
    assert event["recurrence"]["by_weekday"] == [4]
    starts = _local_starts(_occurrences(admin, admin_headers, series, *window))
    assert len(starts) == 4
    assert [start[:10] for start in starts] == [
        "2031-12-04",
        "2031-12-11",
        "2031-12-18",
        "2031-12-25",
    ]
    assert "Every week on Thursday" in admin.get(f"{EVENTS}{series}/").text
    # A link to a Wednesday someone kept opens the series, saying the day is no longer in
    # it (it said "This event is not here any more", as if deleted).
    old_link = admin.get(f"{EVENTS}{series}/", params={"occurrence": "2031-12-17"})
    assert old_link.status_code == 200
    said = visible_text(old_link.text)
    assert "This series has no occurrence on Wed 17 Dec 2031 any more" in said
    assert "It repeats every week on Thursday" in said
    assert admin.get(f"{EVENTS}{series}/", params={"occurrence": "someday"}).status_code == 200


def test_a_drop_saves_only_the_new_times_at_the_scope_chosen(admin, admin_headers):
    """The calendar's question sends the scope alone (no form's inputs): the occurrence
    moves, all else as it was; new times that did not come are said beside the start."""
    marker = uuid.uuid4().hex[:8]
    series = _create(
        admin,
        title=f"Huddle {marker}",
        venue="Room 4",
        start="2031-12-03T10:00",
        end="2031-12-03T11:00",
        repeats="weekly",
        weekdays=["3"],
        ends="after",
        count="3",
    )
    edit = f"{EVENTS}{series}/edit/"
    lost = admin.post(
        edit,
        params={"occurrence": "2031-12-10"},
        data={"dropped": "1", "scope": "this", "version": "1"},
        headers={**FRAGMENT, **csrf_header(admin)},
    )
    assert lost.status_code == 422
    assert _field_error(lost.text, "start") == (
        "Drop it on the calendar again: its new times were lost"
    )
    dropped = admin.post(
        edit,
        params={
            "occurrence": "2031-12-10",
            "start": "2031-12-11T14:00:00+08:00",
            "end": "2031-12-11T15:00:00+08:00",
        },
        data={"dropped": "1", "scope": "this", "version": "1"},
        headers={**FRAGMENT, **csrf_header(admin)},
    )
    assert dropped.status_code == 200, dropped.text
    assert dropped.json()["message"] == f"Event “Huddle {marker}” saved"
    event = _api_event(admin, admin_headers, series)
    assert (event["title"], event["venue"], event["version"]) == (f"Huddle {marker}", "Room 4", 2)
    assert [(o["occurrence_date"], o["start"], o["title"]) for o in event["overrides"]] == [
        ("2031-12-10", "2031-12-11T06:00:00Z", None)
    ]


def test_a_whole_series_moved_from_a_drop_says_the_occurrences_booking_stays(
    make_client, admin, admin_headers
):
    """Moved for all occurrences, a series leaves its bookings where they are: the move's
    answer says which stays booked, when, with the actions to release or open it."""
    marker = uuid.uuid4().hex[:8]
    room = post(
        make_client(),
        admin_headers,
        "/resources",
        {"name": f"Room {marker}", "resource_type": "room"},
    )
    series = _create(
        admin,
        title=f"Planning {marker}",
        start="2031-12-03T10:00",
        end="2031-12-03T11:00",
        repeats="weekly",
        weekdays=["3"],
        ends="after",
        count="3",
    )
    booking = post(
        make_client(),
        admin_headers,
        "/bookings",
        {
            "resource_id": room["id"],
            "start": "2031-12-10T10:00:00+08:00",
            "end": "2031-12-10T11:00:00+08:00",
            "event_id": series,
        },
    )
    dropped = admin.post(
        f"{EVENTS}{series}/edit/",
        params={
            "occurrence": "2031-12-10",
            "start": "2031-12-11T10:00:00+08:00",
            "end": "2031-12-11T11:00:00+08:00",
        },
        data={"dropped": "1", "scope": "all", "version": "1"},
        headers={**FRAGMENT, **csrf_header(admin)},
    )
    assert dropped.status_code == 200, dropped.text
    page = f"{RESOURCES}bookings/{booking['id']}/"
    assert dropped.json()["notes"] == [
        {
            "text": f"Room {marker} stays booked on Wed 10 Dec 2031, 10:00–11:00: a repeating "
            "event's bookings stay where they are when the series moves",
            "links": [
                {"text": "Release it", "href": page + "cancel/"},
                {"text": "Open the booking", "href": page},
            ],
        }
    ]
    assert _api_event(admin, admin_headers, series)["recurrence"]["by_weekday"] == [4]


def test_cancel_an_occurrence_and_delete_with_confirmation(admin, admin_headers):
    marker = uuid.uuid4().hex[:8]
    series = _create(
        admin,
        title=f"Clinic {marker}",
        start="2031-11-03T13:00",
        end="2031-11-03T14:00",
        repeats="weekly",
        weekdays=["1"],
        ends="after",
        count="4",
    )
    confirm = admin.get(f"{EVENTS}{series}/cancel/", params={"occurrence": "2031-11-10"})
    assert confirm.status_code == 200
    assert "The occurrence of Mon 10 Nov 2031, 13:00–14:00" in confirm.text
    # The button says what it does ("Cancel" beside "Keep it" read as "never mind"), and of
    # which occurrences once they are chosen (the page's script renames it on a choice).
    assert '<button type="submit" class="danger">Cancel the chosen occurrences</button>' in (
        confirm.text
    )
    assert 'value="this" data-button-says="Cancel this occurrence"' in confirm.text
    assert 'value="all" data-button-says="Cancel every occurrence"' in confirm.text
    for scope in ("this", "following", "all"):
        assert f'name="scope" value="{scope}"' in confirm.text
    version = re.search(r'name="version" value="(\d+)"', confirm.text).group(1)
    no_scope = submit(
        admin, f"{EVENTS}{series}/cancel/?occurrence=2031-11-10", {"version": version}
    )
    assert no_scope.status_code == 422
    cancelled = submit(
        admin,
        f"{EVENTS}{series}/cancel/?occurrence=2031-11-10",
        {"version": version, "scope": "this"},
    )
    assert cancelled.status_code == 303, cancelled.text
    starts = _local_starts(_occurrences(admin, admin_headers, series, "2031-11-01", "2031-12-31"))
    assert starts == ["2031-11-03T13:00", "2031-11-17T13:00", "2031-11-24T13:00"]
    page = admin.get(cancelled.headers["location"]).text
    assert "Occurrence cancelled" in page
    assert "Mon 10 Nov 2031</a>: cancelled" in page
    # Its Activity says who cancelled which occurrence (it showed "created it" alone).
    activity = page[page.index('id="activity"') :]
    assert "changed" in activity
    assert "(only the occurrence of Mon 10 Nov 2031)" in activity
    assert "Status: <del>Planned</del> → <ins>Cancelled</ins>" in activity

    # Delete asks first: the GET changes nothing.
    ask = admin.get(f"{EVENTS}{series}/delete/")
    assert ask.status_code == 200
    assert "cannot be undone" in ask.text
    assert _api_event(admin, admin_headers, series)["title"] == f"Clinic {marker}"
    version = re.search(r'name="version" value="(\d+)"', ask.text).group(1)
    deleted = submit(admin, f"{EVENTS}{series}/delete/", {"version": version, "scope": "all"})
    assert deleted.status_code == 303
    assert deleted.headers["location"] == "/oobc-management/staff/calendar/?saved=deleted"
    gone = admin.get(f"/api/v1/events/{series}", headers=admin_headers)
    assert gone.status_code == 404
    assert admin.get(f"{EVENTS}{series}/").status_code == 404


def test_conflicts_are_named_with_links(make_client, admin, admin_headers):
    marker = uuid.uuid4().hex[:8]
    ana = create_user(make_client(), admin_headers, "staff", f"Ana Reyes {marker}")
    ben = create_user(make_client(), admin_headers, "staff", f"Ben Cruz {marker}")
    leave = post(
        make_client(),
        admin_headers,
        "/leaves",
        {
            "user_id": ana["id"],
            "leave_type": "vacation",
            "start_date": "2031-12-01",
            "end_date": "2031-12-01",
            "reason": "private reason",
        },
    )
    manager = create_user(make_client(), admin_headers, "manager", f"Approver {marker}")
    approver = token_for(make_client(), manager["username"], USER_PASSWORD)
    approved = make_client().post(f"/api/v1/leaves/{leave['id']}/approve", headers=approver)
    assert approved.status_code == 200, approved.text
    other = _create(
        admin,
        title=f"Budget hearing {marker}",
        participant_ids=[ben["id"]],
        start="2031-12-01T09:00",
        end="2031-12-01T10:00",
    )
    hall = post(
        make_client(),
        admin_headers,
        "/resources",
        {"name": f"Hall {marker}", "resource_type": "room"},
    )
    booking = post(
        make_client(),
        admin_headers,
        "/bookings",
        {
            "resource_id": hall["id"],
            "start": "2031-12-01T10:30:00+08:00",
            "end": "2031-12-01T12:00:00+08:00",
        },
    )
    created = submit(
        admin,
        NEW,
        _form(
            title=f"Field visit {marker}",
            venue=f"Hall {marker}",
            participant_ids=[ana["id"], ben["id"]],
            start="2031-12-01T09:30",
            end="2031-12-01T11:00",
        ),
    )
    page = admin.get(created.headers["location"]).text
    assert f"Ana Reyes {marker} is on leave Mon 1 Dec 2031" in page
    assert f"Ben Cruz {marker} is in ‘Budget hearing {marker}’ Mon 1 Dec 2031, 09:00–10:00" in page
    assert f'href="{EVENTS}{other}/"' in page
    assert f"Hall {marker} is booked Mon 1 Dec 2031, 10:30–12:00" in page
    assert f'href="{RESOURCES}bookings/{booking["id"]}/"' in page
    assert "private reason" not in page
    # The calendar's dialog is told the same, as warnings beside its success.
    dialog = admin.post(
        NEW,
        data={
            **_form(
                title=f"Second visit {marker}",
                participant_ids=[ana["id"]],
                start="2031-12-01T13:00",
                end="2031-12-01T14:00",
            ),
            "csrftoken": admin.cookies["csrftoken"],
        },
        headers={**FRAGMENT, "X-CSRFToken": admin.cookies["csrftoken"]},
    )
    assert dialog.status_code == 201, dialog.text
    assert f"Ana Reyes {marker} is on leave Mon 1 Dec 2031" in dialog.json()["warnings"]
    assert "Vacation" not in page
    # The organizer reads of their own time as theirs ("Admin is in …" read as someone else).
    mine = submit(
        admin,
        NEW,
        _form(title=f"Overlap {marker}", start="2031-12-01T09:15", end="2031-12-01T09:45"),
    )
    said = visible_text(admin.get(mine.headers["location"]).text)
    assert f"You are in ‘Budget hearing {marker}’ Mon 1 Dec 2031, 09:00–10:00" in said


def test_a_series_conflicts_once_per_series_met_and_requested_leave_as_undecided(
    make_client, admin, admin_headers
):
    marker = uuid.uuid4().hex[:8]
    ana = create_user(make_client(), admin_headers, "staff", f"Ana Reyes {marker}")
    ben = create_user(make_client(), admin_headers, "staff", f"Ben Cruz {marker}")
    daily = {"repeats": "daily", "ends": "after", "count": "5"}
    _create(
        admin,
        title=f"Stand-up {marker}",
        participant_ids=[ana["id"]],
        start="2032-03-08T09:00",
        end="2032-03-08T09:30",
        **daily,
    )
    post(
        make_client(),
        admin_headers,
        "/leaves",
        {
            "user_id": ben["id"],
            "leave_type": "vacation",
            "start_date": "2032-03-10",
            "end_date": "2032-03-10",
        },
    )  # requested, not decided
    created = _create(
        admin,
        title=f"Morning clinic {marker}",
        participant_ids=[ana["id"], ben["id"]],
        start="2032-03-08T09:00",
        end="2032-03-08T10:00",
        **daily,
    )
    page = admin.get(f"{EVENTS}{created}/").text
    notes = re.findall(
        r'<li><a href="[^"]*">([^<]*)</a></li>', page[page.index('id="conflicts"') :]
    )
    assert notes == [
        # The admin organises both.
        f"You are in ‘Stand-up {marker}’ Mon 8 Mar 2032, 09:00–09:30 and 4 more times",
        f"Ana Reyes {marker} is in ‘Stand-up {marker}’ Mon 8 Mar 2032, 09:00–09:30"
        " and 4 more times",
        f"Ben Cruz {marker} has asked for leave Wed 10 Mar 2032 (not yet decided)",
    ]
    # Ten lines at most: the tenth says how many more.
    for n in range(9):
        post(
            make_client(),
            admin_headers,
            "/events",
            {
                "title": f"Visit {n} {marker}",
                "event_type": "meeting",
                "start": "2032-03-12T09:00:00+08:00",
                "end": "2032-03-12T09:30:00+08:00",
                "participant_ids": [ben["id"]],
            },
        )
    page = admin.get(f"{EVENTS}{created}/").text
    section = page[page.index('id="conflicts"') :]
    lines = re.findall(r"<li>(?:<a [^>]*>)?([^<]*)", section[: section.index("</section>")])
    assert len(lines) == 10
    assert lines[-1] == "… and 12 more conflicts"  # each visit: the admin and Ben


def test_a_new_event_may_come_without_its_preparation_tasks(admin, calendar_database):
    form = admin.get(NEW).text
    assert re.search(r'<input type="checkbox" name="prepare_tasks" value="1"[^>]* checked>', form)
    marker = uuid.uuid4().hex[:8]
    with_tasks = _create(admin, title=f"Planning {marker}", prepare_tasks="1")
    call = _create(admin, title=f"Quick call {marker}")  # the box unticked: not sent
    told = {
        event_id: outbox_events(calendar_database, "event.created", event_id)[0]["data"]
        for event_id in (with_tasks, call)
    }
    assert (told[with_tasks]["prepare_tasks"], told[call]["prepare_tasks"]) == (True, False)
    # Refused for another reason, the form keeps the box as it was left.
    again = submit(admin, NEW, _form(title="", start="2031-06-02T09:00"))
    assert again.status_code == 422
    assert not re.search(r'name="prepare_tasks" value="1"[^>]* checked', again.text)


def test_booking_from_the_form_and_the_refused_one(admin, admin_headers):
    marker = uuid.uuid4().hex[:8]
    made = submit(
        admin,
        RESOURCES + "create/",
        {"name": f"Van {marker}", "resource_type": "vehicle", "location": "Cotabato"},
    )
    assert made.status_code == 303, made.text
    resources = admin.get("/api/v1/resources", params={"q": marker}, headers=admin_headers).json()
    van = resources["items"][0]["id"]
    first = submit(
        admin,
        NEW,
        _form(
            title=f"Trip {marker}",
            resource_id=van,
            start="2032-01-05T07:00",
            end="2032-01-05T12:00",
        ),
    )
    first_id = _event_id(first)
    page = admin.get(first.headers["location"]).text
    assert "was not booked" not in page
    assert f"Van {marker}" in page
    assert "Mon 5 Jan 2032, 07:00–12:00" in page
    bookings = admin.get(
        "/api/v1/bookings", params={"event_id": first_id}, headers=admin_headers
    ).json()["items"]
    assert [b["resource_id"] for b in bookings] == [van]
    assert bookings[0]["event_id"] == first_id

    second = submit(
        admin,
        NEW,
        _form(
            title=f"Second trip {marker}",
            resource_id=van,
            start="2032-01-05T11:00",
            end="2032-01-05T13:00",
        ),
    )
    second_id = _event_id(second)  # the event stays
    page = admin.get(second.headers["location"]).text
    assert f"Van {marker} was not booked: it is already booked at that time" in page
    assert f'href="{RESOURCES}bookings/{bookings[0]["id"]}/"' in page
    assert _api_event(admin, admin_headers, second_id)["title"] == f"Second trip {marker}"


def test_someone_who_does_not_own_the_event_may_not_change_it(make_client, admin, admin_headers):
    staff_user = create_user(make_client(), admin_headers, "staff", "Carla Dizon")
    staff = signed_in(make_client(), staff_user["username"])
    marker = uuid.uuid4().hex[:8]
    event_id = _create(
        admin, title=f"Admin's meeting {marker}", start="2032-02-02T09:00", end="2032-02-02T10:00"
    )
    page = staff.get(f"{EVENTS}{event_id}/")
    assert page.status_code == 200
    assert f"{EVENTS}{event_id}/edit/" not in page.text
    assert f"{EVENTS}{event_id}/delete/" not in page.text
    assert f"{EVENTS}{event_id}/edit/" in admin.get(f"{EVENTS}{event_id}/").text
    # Refused before typing anything: the edit page itself says so.
    form = staff.get(f"{EVENTS}{event_id}/edit/")
    assert form.status_code == 403
    assert "only its organizer, its creator or a manager may change it." in form.text
    assert 'name="title"' not in form.text
    version = str(_api_event(admin, admin_headers, event_id)["version"])
    refused = submit(
        staff,
        f"{EVENTS}{event_id}/edit/",
        _form(title="Mine now", version=version, start="2032-02-02T09:00", end="2032-02-02T10:00"),
    )
    assert refused.status_code == 403
    assert "You may not change this event" in refused.text
    assert "Change, move, cancel or delete" not in refused.text  # said once, as a sentence
    deleting = submit(staff, f"{EVENTS}{event_id}/delete/", {"version": version})
    assert deleting.status_code == 403
    assert "You may not change this event" in deleting.text
    assert _api_event(admin, admin_headers, event_id)["title"] == f"Admin's meeting {marker}"

    # Their own event they may change.
    own = _create(
        staff, title=f"Carla's call {marker}", start="2032-02-03T09:00", end="2032-02-03T10:00"
    )
    assert f"{EVENTS}{own}/edit/" in staff.get(f"{EVENTS}{own}/").text


def test_people_search(make_client, admin, admin_headers):
    marker = uuid.uuid4().hex[:6]
    found = create_user(make_client(), admin_headers, "staff", f"Zenaida {marker} Lim")
    gone = create_user(make_client(), admin_headers, "staff", f"Zenaida {marker} Former")
    off = make_client().patch(
        f"/api/v1/users/{gone['id']}", json={"is_active": False}, headers=admin_headers
    )
    assert off.status_code == 200, off.text
    anonymous = make_client().get(PEOPLE, params={"q": marker})
    assert anonymous.status_code == 303
    answer = admin.get(PEOPLE, params={"q": marker.upper()})
    assert answer.status_code == 200
    assert answer.json() == [{"id": found["id"], "name": f"Zenaida {marker} Lim"}]
    by_username = admin.get(PEOPLE, params={"q": found["username"]}).json()
    assert [p["id"] for p in by_username] == [found["id"]]
    for index in range(21):
        create_user(make_client(), admin_headers, "staff", f"Many {marker} {index:02}")
    many = admin.get(PEOPLE, params={"q": f"Many {marker}"}).json()
    assert len(many) == 20
    assert many[0]["name"] == f"Many {marker} 00"
    # A name with a word beginning with what was typed comes before one merely holding it
    # ("No": Norhana first, then Amina DatumaNOng, whom Enter had picked).
    typed = uuid.uuid4().hex[:8]
    inside = create_user(make_client(), admin_headers, "staff", f"Amina Datu{typed}ng")
    begins = create_user(make_client(), admin_headers, "staff", f"Norhana {typed}pun")
    ranked = [p["id"] for p in admin.get(PEOPLE, params={"q": typed}).json()]
    assert ranked == [begins["id"], inside["id"]]


def test_resource_page_week_and_booking(make_client, admin, admin_headers):
    marker = uuid.uuid4().hex[:8]
    made = submit(
        admin,
        RESOURCES + "create/",
        {"name": f"Hall {marker}", "resource_type": "room", "capacity": "40"},
    )
    assert made.status_code == 303
    hall = admin.get("/api/v1/resources", params={"q": marker}, headers=admin_headers).json()[
        "items"
    ][0]["id"]
    listing = admin.get(RESOURCES).text
    assert f'href="{RESOURCES}{hall}/"' in listing
    page = admin.get(f"{RESOURCES}{hall}/")
    assert page.status_code == 200
    assert f"Hall {marker}" in page.text
    assert "data-resource-week" in page.text
    booked = submit(
        admin,
        f"{RESOURCES}{hall}/book/",
        {"start": "2032-03-01T08:00", "end": "2032-03-01T09:30", "notes": "orientation"},
    )
    assert booked.status_code == 303, booked.text
    clash = submit(
        admin,
        f"{RESOURCES}{hall}/book/",
        {"start": "2032-03-01T09:00", "end": "2032-03-01T10:00"},
    )
    assert clash.status_code == 409
    assert "already booked" in clash.text
    # The week shown is the clash's (it opened on this week, far from the booking in the way).
    assert 'data-initial-date="2032-03-01"' in clash.text
    week = admin.get(
        f"{RESOURCES}{hall}/bookings.json",
        params={"start": "2032-02-29T00:00:00+08:00", "end": "2032-03-07T00:00:00+08:00"},
    )
    assert week.status_code == 200
    entries = week.json()
    assert len(entries) == 1
    assert entries[0]["start"].startswith("2032-03-01T00:00:00")  # 08:00 Manila, in UTC
    # The booking's page (the booker was sent there saying it was booked).
    assert booked.headers["location"] == f"{entries[0]['url']}?saved=booked"
    assert entries[0]["title"] == "Administrator"
    other_week = admin.get(
        f"{RESOURCES}{hall}/bookings.json",
        params={"start": "2032-03-07T00:00:00+08:00", "end": "2032-03-14T00:00:00+08:00"},
    )
    assert other_week.json() == []
    bad = admin.get(f"{RESOURCES}{hall}/bookings.json", params={"start": "soon", "end": "later"})
    assert bad.status_code == 422


def _booking_problems(page: str) -> dict[str, str]:
    """Each book-form input at fault (aria-invalid, tied to its message) -> its message."""
    found = dict(re.findall(r'class="field-error" id="book-([a-z_]+)-error">([^<]*)<', page))
    for name in found:
        assert re.search(
            rf'name="{name}"[^>]*aria-invalid="true" aria-describedby="book-{name}-error"', page
        ), name
    return {name: html.unescape(message) for name, message in found.items()}


def test_the_book_forms_mark_every_problem_beside_its_input_at_once(admin, admin_headers):
    marker = uuid.uuid4().hex[:8]
    made = submit(
        admin, RESOURCES + "create/", {"name": f"Boat {marker}", "resource_type": "vehicle"}
    )
    assert made.status_code == 303
    boat = admin.get("/api/v1/resources", params={"q": marker}, headers=admin_headers).json()[
        "items"
    ][0]["id"]
    create = RESOURCES + "bookings/create/"

    empty = submit(admin, create, {"resource_id": "", "start": "", "end": "", "notes": ""})
    assert empty.status_code == 422
    assert _booking_problems(empty.text) == {
        "resource_id": "Choose a resource",
        "start": "Give the start",
        "end": "Give the end",
    }
    assert "Please correct the 3 fields marked below." in empty.text
    assert "obcms-forms.css" in empty.text  # where .field-error is red

    typed = {"resource_id": boat, "start": "2032-04-01T10:00", "end": "2032-04-01T09:00"}
    backwards = submit(admin, create, {**typed, "notes": f"Island trip {marker}"})
    assert backwards.status_code == 422
    assert _booking_problems(backwards.text) == {"end": "The end must be after the start"}
    assert "Please correct the field marked below." in backwards.text
    # What was typed is kept.
    assert f'<option value="{boat}" selected>' in backwards.text
    assert 'name="start" type="datetime-local" value="2032-04-01T10:00"' in backwards.text
    assert 'name="end" type="datetime-local" value="2032-04-01T09:00"' in backwards.text
    assert f'value="Island trip {marker}"' in backwards.text

    # The service's refusals land beside their inputs too: a start that has passed...
    past = submit(admin, create, {**typed, "start": "2026-01-05T09:00", "end": "2026-01-05T10:00"})
    assert past.status_code == 422
    assert _booking_problems(past.text) == {
        "start": "Mon 5 Jan 2026, 09:00 has passed; a booking is for a time to come"
    }
    # ... and a clash, the booking in the way linked.
    first = submit(admin, create, {**typed, "end": "2032-04-01T11:00"})
    assert first.status_code == 303, first.text
    in_the_way = first.headers["location"].split("/")[-2]
    clash = submit(admin, create, {**typed, "start": "2032-04-01T10:30", "end": "2032-04-01T12:00"})
    assert clash.status_code == 409
    problems = _booking_problems(clash.text)
    assert list(problems) == ["start"]
    assert problems["start"].startswith(f"Boat {marker} is already booked Thu 1 Apr 2032, 10:00")
    assert f'href="{RESOURCES}bookings/{in_the_way}/">See the booking in the way</a>' in clash.text

    # The resource's own page: its form has no resource to choose.
    own = submit(admin, f"{RESOURCES}{boat}/book/", {"start": "", "end": "2032-04-02T08:00"})
    assert own.status_code == 422
    assert _booking_problems(own.text) == {"start": "Give the start"}
    assert "Please correct the field marked below." in own.text
    assert 'name="end" type="datetime-local" value="2032-04-02T08:00"' in own.text
    odd = submit(admin, f"{RESOURCES}{boat}/book/", {"start": "soon", "end": "2032-04-02T08:00"})
    assert _booking_problems(odd.text) == {"start": "Enter a date and time, e.g. 2026-12-14 09:00"}
