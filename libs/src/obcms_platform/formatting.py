"""How people read times, dates and codes: one mechanism for every page and message.

People read local time ("Mon 14 Dec 2026, 09:00", "Mon 14 Dec 2026, 09:00-10:30", with an
en dash) in
their own time zone (their profile's; the office's by default), and labels instead of codes
("Not started", "OOBC PPA"). The gateway's templates use these through the Jinja filters of
`gateway_service.formatting`; the notifications service writes its messages with them:

- ``moment``: a date-time (aware `datetime` or ISO string with offset) in the viewer's zone;
- ``day``: a date (`date`, ISO date, or a date-time read in the viewer's zone);
- ``span(start, end, all_day=False, day_zone=None)``: a range, the end's date left out when
  it is the same day; dates (leave) include their end, an all-day range's end is exclusive
  (the API's convention) and its days are read in ``day_zone`` (the event's own zone) if given;
- ``label``: an enum value as words.

The calendar's script formats in the browser with the same patterns (``obcms-format.js``).
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from obcms_platform.zones import OFFICE_ZONE as OFFICE_ZONE
from obcms_platform.zones import zone_named as zone_named

DAY_FORMAT = "%a %-d %b %Y"  # Mon 14 Dec 2026
TIME_FORMAT = "%H:%M"
MOMENT_FORMAT = f"{DAY_FORMAT}, {TIME_FORMAT}"
DASH = "\N{EN DASH}"
EMPTY = "\N{EM DASH}"

# Codes whose words are not just the code with spaces (acronyms, names of things).
LABELS: dict[str, str] = {
    "oobc_ppa": "OOBC PPA",
    "moa_ppa": "MOA PPA",
    "obc_request": "OBC request",
    "gaa": "GAA",
    "lgu_counterpart": "LGU counterpart",
    "ps": "Personal services (PS)",
    "mooe": "MOOE",
    "co": "Capital outlay (CO)",
    "kii": "Key informant interviews",
    "mana": "MANA",
    "city_municipal": "City / municipal",
    "peace_security": "Peace and security",
    "desk_review": "Desk review",
    "ppa": "PPA",
    "ppas": "PPAs",
    "ics": "ICS",
    # A PPA's expenditure tags and its coverage's levels.
    "gad": "GAD-responsive",
    "ccet": "Climate change expenditure (CCET)",
    "ip": "Benefits Indigenous Peoples",
    "peace": "Supports the peace agenda",
    "city_municipality": "City / municipality",
    # How a notification reaches a person (the notifications service's channels).
    "both": "Inbox and email",
    "in_app": "Inbox only",
    "email": "Email only",
    "digest": "Inbox and daily digest",
    "off": "Off",
    # The task templates the tasks service ships (its catalogue's names).
    "ppa_budget_cycle": "PPA budget cycle",
    "mana_assessment_desk_review": "MANA assessment (desk review)",
    "mana_assessment_survey": "MANA assessment (survey)",
    "mana_assessment_participatory": "MANA assessment (participatory)",
    "mana_assessment_full_cycle": "MANA assessment (full cycle)",
    "mana_assessment_basic": "MANA assessment (basic)",
    "event_meeting_standard": "Meeting (standard)",
    "event_workshop_full": "Workshop (full)",
    "event_conference_full": "Conference (full)",
}


def _parse(value: date | datetime | str) -> date | datetime | None:
    """A date, or an aware date-time (a naive one is the office's); None if unreadable."""
    if isinstance(value, str):
        text = value.strip()
        try:
            value = date.fromisoformat(text) if len(text) == 10 else datetime.fromisoformat(text)
        except ValueError:
            return None
    if isinstance(value, datetime) and value.tzinfo is None:
        return value.replace(tzinfo=OFFICE_ZONE)
    return value


def _day(value: date | datetime, zone: ZoneInfo) -> date:
    return value.astimezone(zone).date() if isinstance(value, datetime) else value


def format_moment(value: date | datetime | str | None, zone: ZoneInfo = OFFICE_ZONE) -> str:
    if value is None or value == "":
        return EMPTY
    moment = _parse(value)
    if moment is None:
        return str(value)
    if not isinstance(moment, datetime):
        return moment.strftime(DAY_FORMAT)
    return moment.astimezone(zone).strftime(MOMENT_FORMAT)


def format_day(value: date | datetime | str | None, zone: ZoneInfo = OFFICE_ZONE) -> str:
    if value is None or value == "":
        return EMPTY
    day = _parse(value)
    return _day(day, zone).strftime(DAY_FORMAT) if day else str(value)


def format_span(
    start: date | datetime | str | None,
    end: date | datetime | str | None,
    all_day: bool = False,
    zone: ZoneInfo = OFFICE_ZONE,
    day_zone: ZoneInfo | None = None,
) -> str:
    """ "Mon 14 Dec 2026, 09:00-10:30"; over days "Mon 14 Dec 2026, 09:00 - Tue 15 Dec 2026,
    17:00"; days "Mon 14 Dec 2026 - Wed 16 Dec 2026" (en dashes).

    Dates (leave) include their end; an all-day range's end is exclusive (the API's
    convention) and its dates are read in `day_zone` (the record's own zone: an all-day
    event is a date, not a moment) or else the viewer's.
    """
    if start is None or start == "":
        return EMPTY
    begin = _parse(start)
    if begin is None:
        return str(start)
    finish = _parse(end) if end else None
    if all_day or not isinstance(begin, datetime):
        first = _day(begin, day_zone or zone)
        last = _day(finish, day_zone or zone) if finish else None
        if last is not None and all_day and last > first:
            last -= timedelta(days=1)
        if last is None or last <= first:
            return first.strftime(DAY_FORMAT)
        return f"{first.strftime(DAY_FORMAT)} {DASH} {last.strftime(DAY_FORMAT)}"
    begin = begin.astimezone(zone)
    if not isinstance(finish, datetime):
        return begin.strftime(MOMENT_FORMAT)
    finish = finish.astimezone(zone)
    if finish.date() == begin.date():
        return f"{begin.strftime(MOMENT_FORMAT)}{DASH}{finish.strftime(TIME_FORMAT)}"
    return f"{begin.strftime(MOMENT_FORMAT)} {DASH} {finish.strftime(MOMENT_FORMAT)}"


def as_local(value: str, zone: ZoneInfo) -> str:
    """A form's date-time without an offset (``datetime-local``) as a moment of `zone`, in
    ISO form; a value with an offset or unreadable stays as typed (the service judges it)."""
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return value
    return value if moment.tzinfo else moment.replace(tzinfo=zone).isoformat()


def label(value: object) -> str:
    """An enum value (or code) as words: ``not_started`` -> "Not started"."""
    if value is None or value == "":
        return EMPTY
    code = str(getattr(value, "value", value))
    if code in LABELS:
        return LABELS[code]
    words = code.replace("_", " ").strip()
    return words[:1].upper() + words[1:]


def quoted(text: str) -> str:
    """A title as it stands in a sentence: “Draft the plan”."""
    return f"\N{LEFT DOUBLE QUOTATION MARK}{text}\N{RIGHT DOUBLE QUOTATION MARK}"


# Currencies written with their symbol; any other by its code.
CURRENCY_SYMBOLS = {"PHP": "\N{PESO SIGN}"}


def money(amount: Decimal | float, currency: str = "PHP") -> str:
    """An amount as a person reads it: ₱1,234,567.50 (a currency without a symbol here by
    its code: USD 1,234.50)."""
    amount = Decimal(str(amount))
    sign = "-" if amount < 0 else ""
    figure = f"{abs(amount):,.2f}"
    symbol = CURRENCY_SYMBOLS.get(currency)
    return f"{sign}{symbol}{figure}" if symbol else f"{sign}{currency} {figure}"
