"""Recurrence expansion (RFC 5545 via dateutil), window by window, in the series' zone."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from dateutil.rrule import DAILY, rrule

from calendar_service.calendar_events.recurrence import Frequency, Rule, Series

MANILA = ZoneInfo("Asia/Manila")
NEW_YORK = ZoneInfo("America/New_York")


def series(start: datetime, rule: Rule, hours: float = 1) -> Series:
    return Series(start=start, duration=timedelta(hours=hours), zone=start.tzinfo, rule=rule)  # type: ignore[arg-type]


def local(s: Series, start: datetime, end: datetime) -> list[datetime]:
    return [o.start.astimezone(s.zone) for o in s.occurrences(start, end)]


def test_monthly_on_the_31st_skips_shorter_months():
    s = series(datetime(2026, 1, 31, 10, tzinfo=MANILA), Rule(Frequency.MONTHLY))
    found = local(s, datetime(2026, 1, 1, tzinfo=UTC), datetime(2027, 1, 1, tzinfo=UTC))
    assert [d.date() for d in found] == [
        date(2026, 1, 31),
        date(2026, 3, 31),
        date(2026, 5, 31),
        date(2026, 7, 31),
        date(2026, 8, 31),
        date(2026, 10, 31),
        date(2026, 12, 31),
    ]
    assert all(d.hour == 10 for d in found)


def test_monthly_on_the_31st_far_from_the_start_keeps_the_31st():
    """The window expansion starts near the window; the moved DTSTART must not clip to 28."""
    s = series(datetime(2020, 1, 31, 10, tzinfo=MANILA), Rule(Frequency.MONTHLY))
    found = local(s, datetime(2031, 2, 1, tzinfo=MANILA), datetime(2031, 6, 1, tzinfo=MANILA))
    assert [d.date() for d in found] == [date(2031, 3, 31), date(2031, 5, 31)]


def test_last_day_of_month_with_negative_monthday():
    s = series(datetime(2026, 1, 31, 17, tzinfo=MANILA), Rule(Frequency.MONTHLY, by_monthday=(-1,)))
    found = local(s, datetime(2028, 1, 15, tzinfo=MANILA), datetime(2028, 4, 15, tzinfo=MANILA))
    assert [d.date() for d in found] == [date(2028, 1, 31), date(2028, 2, 29), date(2028, 3, 31)]


def test_yearly_on_feb_29_only_in_leap_years():
    s = series(datetime(2024, 2, 29, 9, tzinfo=MANILA), Rule(Frequency.YEARLY))
    found = local(s, datetime(2024, 1, 1, tzinfo=UTC), datetime(2033, 1, 1, tzinfo=UTC))
    assert [d.date() for d in found] == [date(2024, 2, 29), date(2028, 2, 29), date(2032, 2, 29)]
    # Far in the future too (the expansion starts near the window, not in 2024).
    found = local(s, datetime(2099, 1, 1, tzinfo=UTC), datetime(2105, 1, 1, tzinfo=UTC))
    assert [d.date() for d in found] == [date(2104, 2, 29)]  # 2100 is not a leap year


def test_weekly_0900_stays_0900_local_across_dst_in_new_york():
    s = series(
        datetime(2026, 2, 23, 9, tzinfo=NEW_YORK),  # a Monday, EST (UTC-5)
        Rule(Frequency.WEEKLY, by_weekday=(1, 3)),
    )
    found = s.occurrences(datetime(2026, 3, 1, tzinfo=UTC), datetime(2026, 3, 20, tzinfo=UTC))
    local_times = {o.start.astimezone(NEW_YORK).strftime("%a %H:%M") for o in found}
    assert local_times == {"Mon 09:00", "Wed 09:00"}
    utc_hours = {o.start.astimezone(UTC).date(): o.start.astimezone(UTC).hour for o in found}
    # DST began on 2026-03-08: 14:00 UTC before, 13:00 UTC after.
    assert utc_hours[date(2026, 3, 4)] == 14
    assert utc_hours[date(2026, 3, 9)] == 13
    assert [o.original_date for o in found] == [
        date(2026, 3, 2),
        date(2026, 3, 4),
        date(2026, 3, 9),
        date(2026, 3, 11),
        date(2026, 3, 16),
        date(2026, 3, 18),
    ]


def test_dst_free_zone_keeps_the_same_utc_time_all_year():
    s = series(datetime(2026, 1, 5, 9, tzinfo=MANILA), Rule(Frequency.WEEKLY))
    found = s.occurrences(datetime(2026, 1, 1, tzinfo=UTC), datetime(2027, 1, 1, tzinfo=UTC))
    assert len(found) == 52
    assert {o.start.astimezone(UTC).hour for o in found} == {1}  # 09:00 +08:00


def test_count_versus_until():
    start = datetime(2026, 6, 1, 8, tzinfo=MANILA)
    by_count = series(start, Rule(Frequency.DAILY, interval=2, count=5))
    by_until = series(start, Rule(Frequency.DAILY, interval=2, until=date(2026, 6, 9)))
    window = (datetime(2026, 5, 1, tzinfo=UTC), datetime(2026, 8, 1, tzinfo=UTC))
    expected = [date(2026, 6, d) for d in (1, 3, 5, 7, 9)]
    assert [o.original_date for o in by_count.occurrences(*window)] == expected
    assert [o.original_date for o in by_until.occurrences(*window)] == expected
    # until is inclusive of the local day; the span ends with the last occurrence's day.
    assert by_count.span_end() == datetime(2026, 6, 9, 9, tzinfo=MANILA)
    assert by_until.span_end() is not None
    assert by_until.span_end() >= datetime(2026, 6, 9, 9, tzinfo=MANILA)  # type: ignore[operator]
    assert series(start, Rule(Frequency.DAILY)).span_end() is None


def test_exdates_remove_occurrences():
    s = series(
        datetime(2026, 6, 1, 8, tzinfo=MANILA),
        Rule(Frequency.DAILY, exdates=frozenset({date(2026, 6, 2), date(2026, 6, 4)})),
    )
    found = s.occurrences(datetime(2026, 6, 1, tzinfo=MANILA), datetime(2026, 6, 6, tzinfo=MANILA))
    assert [o.original_date for o in found] == [date(2026, 6, d) for d in (1, 3, 5)]
    assert not s.has_occurrence_on(date(2026, 6, 2))
    assert s.has_occurrence_on(date(2026, 6, 3))


def test_far_future_window_of_unbounded_daily_series_is_only_that_window():
    s = series(datetime(2020, 1, 1, 7, 30, tzinfo=MANILA), Rule(Frequency.DAILY, interval=3))
    window = (datetime(2190, 3, 1, tzinfo=MANILA), datetime(2190, 3, 31, tzinfo=MANILA))
    found = s.occurrences(*window)
    # The same as a plain rrule would say, restricted to the window.
    reference = rrule(DAILY, interval=3, dtstart=datetime(2020, 1, 1, 7, 30)).between(
        datetime(2190, 3, 1), datetime(2190, 3, 31), inc=True
    )
    assert [o.original_date for o in found] == [d.date() for d in reference]
    assert 9 <= len(found) <= 10
    assert all(window[0] <= o.start < window[1] for o in found)
    # The rule is started near the window, not 170 years earlier.
    aligned = s.aligned_start(datetime(2190, 3, 1))
    assert datetime(2190, 2, 1) < aligned < datetime(2190, 3, 1)


def test_weekly_interval_alignment_keeps_the_phase():
    start = datetime(2026, 1, 7, 15, tzinfo=MANILA)  # a Wednesday
    s = series(start, Rule(Frequency.WEEKLY, interval=3, by_weekday=(3, 5)))
    window = (datetime(2031, 6, 1, tzinfo=MANILA), datetime(2031, 9, 1, tzinfo=MANILA))
    reference = rrule(
        freq=2, interval=3, byweekday=(2, 4), dtstart=start.replace(tzinfo=None), wkst=0
    ).between(datetime(2031, 6, 1), datetime(2031, 9, 1), inc=True)
    assert [o.original_date for o in s.occurrences(*window)] == [d.date() for d in reference]
    assert reference


def test_multi_day_occurrence_overlapping_the_window_start_is_included():
    s = series(datetime(2026, 6, 1, 20, tzinfo=MANILA), Rule(Frequency.WEEKLY), hours=30)
    found = s.occurrences(datetime(2026, 6, 9, tzinfo=MANILA), datetime(2026, 6, 10, tzinfo=MANILA))
    assert [o.original_date for o in found] == [date(2026, 6, 8)]


# --- BYSETPOS: "last Friday", "second Tuesday" ------------------------------------------


def test_monthly_last_friday_over_a_year_window():
    s = series(
        datetime(2026, 1, 30, 15, tzinfo=MANILA),  # the last Friday of January 2026
        Rule(Frequency.MONTHLY, by_weekday=(5,), by_setpos=(-1,)),
    )
    found = local(s, datetime(2027, 1, 1, tzinfo=MANILA), datetime(2028, 1, 1, tzinfo=MANILA))
    assert [d.date() for d in found] == [
        date(2027, 1, 29),
        date(2027, 2, 26),
        date(2027, 3, 26),
        date(2027, 4, 30),
        date(2027, 5, 28),
        date(2027, 6, 25),
        date(2027, 7, 30),
        date(2027, 8, 27),
        date(2027, 9, 24),
        date(2027, 10, 29),
        date(2027, 11, 26),
        date(2027, 12, 31),
    ]
    assert {d.hour for d in found} == {15}
    assert s.has_occurrence_on(date(2027, 4, 30))
    assert not s.has_occurrence_on(date(2027, 4, 23))  # a Friday, not the last one


def test_monthly_second_tuesday_stays_0900_across_dst_in_new_york():
    s = series(
        datetime(2026, 1, 13, 9, tzinfo=NEW_YORK),  # the second Tuesday of January, EST
        Rule(Frequency.MONTHLY, by_weekday=(2,), by_setpos=(2,)),
    )
    found = s.occurrences(datetime(2026, 2, 1, tzinfo=UTC), datetime(2026, 12, 1, tzinfo=UTC))
    assert [o.original_date for o in found] == [
        date(2026, 2, 10),
        date(2026, 3, 10),  # DST began on March 8
        date(2026, 4, 14),
        date(2026, 5, 12),
        date(2026, 6, 9),
        date(2026, 7, 14),
        date(2026, 8, 11),
        date(2026, 9, 8),
        date(2026, 10, 13),
        date(2026, 11, 10),  # DST ended on November 1
    ]
    assert {o.start.astimezone(NEW_YORK).strftime("%a %H:%M") for o in found} == {"Tue 09:00"}
    utc_hours = {o.original_date: o.start.astimezone(UTC).hour for o in found}
    assert utc_hours[date(2026, 2, 10)] == 14
    assert utc_hours[date(2026, 3, 10)] == 13
    assert utc_hours[date(2026, 11, 10)] == 14
    assert s.has_occurrence_on(date(2026, 3, 10))
    assert not s.has_occurrence_on(date(2026, 3, 3))  # the first Tuesday


def test_setpos_rules_far_from_their_start_match_a_plain_rrule():
    """The window expansion moves DTSTART near the window; with BYSETPOS it must still pick
    the position within each whole month or year."""
    start = datetime(2020, 1, 31, 8, tzinfo=MANILA)
    rules = [
        Rule(Frequency.MONTHLY, by_weekday=(5,), by_setpos=(-1,)),
        Rule(Frequency.MONTHLY, interval=2, by_weekday=(2,), by_setpos=(2,)),
        Rule(Frequency.MONTHLY, by_weekday=(1, 2, 3, 4, 5), by_setpos=(1, -1)),
        Rule(Frequency.MONTHLY, by_monthday=(10, 20, 30), by_setpos=(-1,)),
        Rule(Frequency.YEARLY, by_weekday=(1,), by_setpos=(-1,)),
    ]
    for rule in rules:
        s = series(start, rule)
        reference = rrule(
            freq={"monthly": 1, "yearly": 0}[rule.freq.value],
            interval=rule.interval,
            dtstart=start.replace(tzinfo=None),
            byweekday=[d - 1 for d in rule.by_weekday] or None,
            bymonthday=list(rule.by_monthday) or None,
            bysetpos=list(rule.by_setpos),
            wkst=0,
        ).between(datetime(2031, 3, 1), datetime(2033, 3, 1), inc=True)
        window = (datetime(2031, 3, 1, tzinfo=MANILA), datetime(2033, 3, 1, tzinfo=MANILA))
        found = [o.original_date for o in s.occurrences(*window)]
        assert found == [d.date() for d in reference], rule
        assert found
        assert all(s.has_occurrence_on(day) for day in found[:5]), rule
        assert not s.has_occurrence_on(found[0] - timedelta(days=1)), rule


def test_rule_json_keeps_setpos_and_reads_rows_without_it():
    rule = Rule(Frequency.MONTHLY, by_weekday=(5,), by_setpos=(-1,))
    assert rule.to_json()["by_setpos"] == [-1]
    assert Rule.from_json(rule.to_json()) == rule
    old_row = {"freq": "monthly", "interval": 1, "by_weekday": [5], "by_monthday": []}
    assert Rule.from_json(old_row).by_setpos == ()
