"""The one formatting mechanism of the pages (`gateway_service.formatting`): local times,
dates, ranges and labels, in the viewer's zone, through the Jinja filters the pages use."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest
from jinja2 import Environment

from gateway_service import formatting
from gateway_service.formatting import (
    DASH,
    format_day,
    format_moment,
    format_span,
    label,
    zone_named,
)

LONDON = ZoneInfo("Europe/London")
NEW_YORK = ZoneInfo("America/New_York")


def _render(source: str, **context: object) -> str:
    environment = Environment(autoescape=True)
    formatting.register(environment)
    return environment.from_string(source).render(**context)


def test_a_moment_reads_in_the_viewers_zone():
    assert format_moment("2026-11-02T01:00:00Z") == "Mon 2 Nov 2026, 09:00"  # office time
    assert format_moment("2026-12-08T23:00:00Z") == "Wed 9 Dec 2026, 07:00"  # the next day
    assert format_moment("2026-12-08T23:00:00Z", NEW_YORK) == "Tue 8 Dec 2026, 18:00"
    assert (
        format_moment(datetime(2026, 12, 8, 23, 0, tzinfo=UTC), LONDON) == "Tue 8 Dec 2026, 23:00"
    )
    assert format_moment("2026-12-14T09:00:00") == "Mon 14 Dec 2026, 09:00"  # naive = office


def test_summer_time_changes_the_hours_not_the_pattern():
    winter = format_span("2026-03-28T09:00:00Z", "2026-03-28T10:30:00Z", zone=LONDON)
    summer = format_span("2026-03-30T09:00:00Z", "2026-03-30T10:30:00Z", zone=LONDON)
    assert winter == f"Sat 28 Mar 2026, 09:00{DASH}10:30"
    assert summer == f"Mon 30 Mar 2026, 10:00{DASH}11:30"
    # The night the clocks go forward: 00:30 GMT to 03:00 BST is 90 minutes.
    assert format_span("2026-03-29T00:30:00Z", "2026-03-29T02:00:00Z", zone=LONDON) == (
        f"Sun 29 Mar 2026, 00:30{DASH}03:00"
    )


def test_a_range_over_days_names_both_days():
    assert format_span("2026-12-14T01:00:00Z", "2026-12-15T09:00:00Z") == (
        f"Mon 14 Dec 2026, 09:00 {DASH} Tue 15 Dec 2026, 17:00"
    )
    # Same day in UTC, two days in Manila.
    assert format_span("2026-12-14T15:00:00Z", "2026-12-14T17:00:00Z") == (
        f"Mon 14 Dec 2026, 23:00 {DASH} Tue 15 Dec 2026, 01:00"
    )


def test_an_all_day_range_ends_the_day_before_its_exclusive_end():
    one_day = format_span("2026-12-14", "2026-12-15", all_day=True)
    assert one_day == "Mon 14 Dec 2026"
    three_days = format_span("2026-12-14", "2026-12-17", all_day=True)
    assert three_days == f"Mon 14 Dec 2026 {DASH} Wed 16 Dec 2026"
    # An all-day event stored as moments is read in its own zone, not the viewer's.
    start, end = "2026-12-13T16:00:00Z", "2026-12-15T16:00:00Z"  # 14 and 16 Dec in Manila
    assert format_span(start, end, True, LONDON, ZoneInfo("Asia/Manila")) == (
        f"Mon 14 Dec 2026 {DASH} Tue 15 Dec 2026"
    )


def test_dates_include_their_last_day():
    assert format_span("2031-07-01", "2031-07-03") == f"Tue 1 Jul 2031 {DASH} Thu 3 Jul 2031"
    assert format_span(date(2031, 7, 1), date(2031, 7, 1)) == "Tue 1 Jul 2031"
    assert format_day("2031-07-01") == "Tue 1 Jul 2031"
    assert format_day("2026-12-08T23:00:00Z") == "Wed 9 Dec 2026"


def test_an_unknown_or_missing_zone_is_the_office_zone():
    assert zone_named("Moon/Base").key == "Asia/Manila"
    assert zone_named("").key == "Asia/Manila"
    assert zone_named(None).key == "Asia/Manila"
    assert zone_named("Europe/London") == LONDON
    shown = _render("{{ at|moment }}", at="2026-12-08T23:00:00Z", time_zone="Moon/Base")
    assert shown == "Wed 9 Dec 2026, 07:00"


def test_the_filters_use_the_pages_time_zone():
    source = "{{ at|moment }} | {{ at|day }} | {{ at|span(until) }} | {{ code|label }}"
    shown = _render(
        source,
        at="2026-12-08T23:00:00Z",
        until="2026-12-09T01:00:00Z",
        code="not_started",
        time_zone="America/New_York",
    )
    assert shown == (
        f"Tue 8 Dec 2026, 18:00 | Tue 8 Dec 2026 | Tue 8 Dec 2026, 18:00{DASH}20:00 | Not started"
    )


@pytest.mark.parametrize(
    ("code", "words"),
    [
        ("not_started", "Not started"),
        ("oobc_ppa", "OOBC PPA"),
        ("lgu_counterpart", "LGU counterpart"),
        ("field_visit", "Field visit"),
        ("vacation", "Vacation"),
        (None, "—"),
    ],
)
def test_codes_read_as_words(code, words):
    assert label(code) == words


def test_empty_and_unreadable_values():
    assert format_moment(None) == "—"
    assert format_day("") == "—"
    assert format_span(None, None) == "—"
    assert format_moment("soon") == "soon"  # shown as given rather than lost


def test_amounts_read_as_pesos_and_rates_as_percent():
    source = (
        "{{ a|pesos }} | {{ b|pesos }} | {{ c|pesos('USD') }} | {{ none|pesos }}"
        " | {{ r|percent }} | {{ none|percent }}"
    )
    shown = _render(source, a=1234567.5, b="-250", c=12, none=None, r=55.263)
    assert shown == "₱1,234,567.50 | -₱250.00 | USD 12.00 | — | 55.3 % | —"


def test_a_time_zone_is_named_by_its_city():
    """The event form's list and the account pages' suggestions: people look for a city."""
    assert formatting.zone_name("America/Argentina/Buenos_Aires") == (
        "Buenos Aires (America/Argentina)"
    )
    assert formatting.zone_name("Asia/Manila") == "Manila (Asia)"
    assert formatting.zone_name("UTC") == "UTC"
