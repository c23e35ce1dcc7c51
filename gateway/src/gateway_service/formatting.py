"""The Jinja filters every page formats with (`obcms_platform.formatting` is the mechanism):

- ``moment``: a date-time (aware `datetime` or ISO string with offset) in the viewer's zone;
- ``day``: a date (`date`, ISO date, or a date-time read in the viewer's zone);
- ``span(start, end, all_day=False, day_zone=None)``: a range (see `format_span`);
- ``label``: an enum value as words;
- ``pesos(currency="PHP")``: an amount with its currency (₱1,234.50; none: an em dash);
- ``percent``: a rate as "55.3 %" (none: an em dash, a rate whose denominator was 0);
- ``attainment``: an indicator's attainment as it is, past its target said so: "130.0 %
  (target exceeded)" (the PPA page, its brief and the portfolio report alike).

The calendar's script formats in the browser with the same patterns (``obcms-format.js``).
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from jinja2 import Environment, pass_context
from jinja2.runtime import Context
from markupsafe import Markup

from obcms_platform.comments.markdown import to_html
from obcms_platform.formatting import (
    DASH,
    DAY_FORMAT,
    EMPTY,
    LABELS,
    MOMENT_FORMAT,
    OFFICE_ZONE,
    TIME_FORMAT,
    as_local,
    format_day,
    format_moment,
    format_span,
    label,
    money,
    zone_named,
)

__all__ = [
    "DASH",
    "DAY_FORMAT",
    "EMPTY",
    "LABELS",
    "MOMENT_FORMAT",
    "OFFICE_ZONE",
    "TIME_FORMAT",
    "as_local",
    "format_day",
    "format_moment",
    "format_span",
    "label",
    "register",
    "viewer_zone",
    "zone_named",
]


def viewer_zone(context: Context | dict[str, Any]) -> ZoneInfo:
    """The zone pages render in: the template context's ``time_zone`` (set by `render`)."""
    return zone_named(context.get("time_zone"))


@pass_context
def _moment_filter(context: Context, value: date | datetime | str | None) -> str:
    return format_moment(value, viewer_zone(context))


@pass_context
def _day_filter(context: Context, value: date | datetime | str | None) -> str:
    return format_day(value, viewer_zone(context))


@pass_context
def _span_filter(
    context: Context,
    start: date | datetime | str | None,
    end: date | datetime | str | None = None,
    all_day: bool = False,
    day_zone: str | None = None,
) -> str:
    zone = viewer_zone(context)
    return format_span(start, end, all_day, zone, zone_named(day_zone) if day_zone else None)


@pass_context
def _overdue_test(context: Context, task: dict[str, Any]) -> bool:
    """An open task due before the viewer's today (the API's `is_overdue` counts the
    server's: for eight hours a day the office's yesterday)."""
    due = task.get("due_date")
    if not due or task.get("status") == "completed":
        return False
    return date.fromisoformat(str(due)) < datetime.now(viewer_zone(context)).date()


def _filed_late_test(leave: dict[str, Any]) -> bool:
    """A leave request filed after its first day had begun (in the office's time): a manager
    weighs it otherwise (sick leave told on return; a vacation already taken)."""
    filed = datetime.fromisoformat(str(leave["created_at"])).astimezone(OFFICE_ZONE).date()
    return filed > date.fromisoformat(str(leave["start_date"]))


def file_size(size: int) -> str:
    """A file's size as people read it: "820 bytes", "12 KB", "3.4 MB" (1 KB = 1024 bytes)."""
    if size < 1024:
        return f"{size} byte{'' if size == 1 else 's'}"
    if size < 1024 * 1024:
        return f"{round(size / 1024)} KB"
    megabytes = size / (1024 * 1024)
    return f"{megabytes:.1f} MB".replace(".0 MB", " MB")


def pesos(value: float | str | None, currency: str = "PHP") -> str:
    return EMPTY if value is None else money(Decimal(str(value)), currency)


def percent(value: float | None) -> str:
    return EMPTY if value is None else f"{value:.1f} %"


def attainment(value: float | None) -> str:
    # Uncapped: a manager reads how far past its target an indicator went, in words.
    shown = percent(value)
    return f"{shown} (target exceeded)" if value is not None and value > 100 else shown


def zone_name(zone: str) -> str:
    """An IANA time zone as people look for it, by its city: "Buenos Aires
    (America/Argentina)", "Manila (Asia)"; one without a region as it is ("UTC")."""
    region, _, city = zone.rpartition("/")
    return f"{city.replace('_', ' ')} ({region})" if region else zone


def markdown(text: str | None) -> Markup:
    """A description as comments are written: Markdown, sanitised (no scripts, no raw HTML,
    links to http(s) and mailto only)."""
    return Markup(to_html(text or ""))  # noqa: S704 - nh3 sanitised it (to_html)


def register(environment: Environment) -> None:
    environment.filters.update(
        moment=_moment_filter,
        day=_day_filter,
        span=_span_filter,
        label=label,
        file_size=file_size,
        pesos=pesos,
        percent=percent,
        attainment=attainment,
        markdown=markdown,
        zone_name=zone_name,
    )
    environment.tests["overdue"] = _overdue_test
    environment.tests["filed_late"] = _filed_late_test
