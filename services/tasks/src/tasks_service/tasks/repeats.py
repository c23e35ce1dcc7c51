"""When a repeating task's next occurrence is due (`dateutil.rrule`).

A repeating task ("every month") continues, when it is completed, as a new task due on the
rule's next date after its own due date. The rule runs from the series' anchor, the due date
it was first given (or last moved to), not from each occurrence's: a task due on 31 January
is next due on 28 (or 29) February and then on 31 March, not on the 28th ever after. A day
the month does not have is its last day (``BYMONTHDAY=31,-1`` with ``BYSETPOS=1``), and so
is 29 February in the years without it.
"""

from __future__ import annotations

from datetime import date, datetime, time

from dateutil.rrule import rrule

from obcms_platform.repeats import RRULE_FREQUENCIES
from obcms_platform.vocabulary import Frequency

# Months' shortest length: a day after it may be missing from some months.
ALWAYS_IN_A_MONTH = 28


def next_due(frequency: Frequency, interval: int, anchor: date, after: date) -> date:
    """The first date of the rule (every `interval` `frequency` from `anchor`) after `after`."""
    start = datetime.combine(anchor, time())
    freq, month = RRULE_FREQUENCIES[frequency], anchor.month
    if frequency in (Frequency.MONTHLY, Frequency.YEARLY):
        days = (anchor.day, -1) if anchor.day > ALWAYS_IN_A_MONTH else (anchor.day,)
        yearly = frequency is Frequency.YEARLY
        rule = rrule(
            freq,
            interval=interval,
            dtstart=start,
            bymonthday=days,
            bysetpos=1,
            bymonth=month if yearly else None,
        )
    else:
        rule = rrule(freq, interval=interval, dtstart=start)
    following = rule.after(datetime.combine(after, time()))
    assert following is not None  # a rule without an end has a date after any other
    return following.date()
