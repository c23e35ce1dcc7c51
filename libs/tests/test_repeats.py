"""A series' pattern in words, the same from the calendar's rule (the event page) and from the
RFC 5545 text it announces (the messages)."""

from __future__ import annotations

from datetime import date

from obcms_platform.repeats import Repeat
from obcms_platform.vocabulary import Frequency

MONDAY = date(2026, 12, 14)


def test_the_rule_and_its_rfc5545_text_read_the_same() -> None:
    rule = {
        "freq": "weekly",
        "interval": 1,
        "by_weekday": [1, 2, 3, 4, 5],
        "by_monthday": [],
        "by_setpos": [],
        "count": None,
        "until": "2026-12-25",
        "exdates": ["2026-12-16"],
    }
    text = (
        "DTSTART:20261214T070000\nRRULE:FREQ=WEEKLY;UNTIL=20261225T235959;"
        "BYDAY=MO,TU,WE,TH,FR;BYHOUR=7;BYMINUTE=0;BYSECOND=0\nEXDATE:20261216T070000"
    )
    assert Repeat.of_rule(rule) == Repeat.of_rfc5545(text)
    assert Repeat.of_rule(rule).described(MONDAY) == "Every weekday, until Fri 25 Dec 2026"


def test_patterns_in_words() -> None:
    every_other = Repeat.of_rfc5545("RRULE:FREQ=WEEKLY;INTERVAL=2;COUNT=4;BYDAY=MO,WE")
    assert every_other is not None
    assert every_other.described(MONDAY) == "Every 2 weeks on Monday and Wednesday, 4 times"
    last_friday = Repeat.of_rfc5545("RRULE:FREQ=MONTHLY;INTERVAL=2;BYSETPOS=-1;BYDAY=FR")
    assert last_friday is not None
    assert last_friday.pattern(MONDAY) == "every 2 months on the last Friday"
    assert Repeat(Frequency.YEARLY).pattern(MONDAY) == "every year on 14 December"
    assert Repeat.of_rfc5545("RRULE:FREQ=HOURLY") is None
    assert Repeat.of_rfc5545("DTSTART:20261214T070000") is None
