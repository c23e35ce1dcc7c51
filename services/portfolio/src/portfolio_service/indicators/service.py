"""Indicators of a PPA and their actuals, and where each stands. Functions take a session and
never commit.

Attainment is (latest actual - baseline) / (target - baseline) x 100: the share of the change
from baseline to target made so far, whichever way the target lies (a decreasing indicator
has a negative change to make). Where an indicator stands compares it with the share of its
period elapsed when that actual was measured (`IndicatorRead`). Both are SQL expressions,
computed once for the PPA page and the dashboard alike (`indicator_figures`), as is the share
an indicator counts for in an average (its attainment within 0..100: one past its target
cannot make up for one behind).

An actual is a value the indicator can take: its baseline and target say what it measures.
Both at 0 or more (a count, an amount, a share): no negative actual; a percentage unit ("%",
"% of households", "percent") with both within 0..100: a share, at most 100. An indicator
with a negative baseline or target measures a change and may go below 0; a percentage
target above 100 is a rate (growth), not a share. Periods end on or after the PPA's start
date (when it has one) and not after today.

The rules hold for the actuals recorded, not only for those being recorded: an edit of an
indicator (its unit, baseline or target) or of its PPA's start date that would leave a
recorded actual breaking them is refused (422), naming each actual beside the field that
would break it, so that the officer deletes (or records again) those first. An edit that
breaks none (a name, a kind, a target date: actuals may be measured after it) is saved.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import Date, Numeric, Row, Select, case, cast, func, null, select, true
from sqlalchemy.orm import Session

from obcms_platform.auth import Principal
from obcms_platform.errors import (
    ConflictError,
    InputProblems,
    NotFoundError,
)
from obcms_platform.formatting import format_day, quoted
from obcms_platform.records import (
    apply_changes,
    columns_or_404,
    delete_row,
    get_or_404,
    insert_row,
    locked,
    model_of,
    new_record,
)
from obcms_platform.schemas import ensure_not_future, today_somewhere
from portfolio_service.indicators.models import Indicator, IndicatorActual, IndicatorStatus
from portfolio_service.indicators.schemas import (
    ActualCreate,
    IndicatorCreate,
    IndicatorRead,
    IndicatorUpdate,
)
from portfolio_service.ppas.models import Ppa

NOT_MEASURED_YET = "No actual recorded yet"
TARGET_IS_BASELINE = "The target equals the baseline: there is no change to attain"
# "%", "% of households", "percent", "per cent", "percentage" (not "percentage points": a change).
PERCENTAGE_UNIT = re.compile(r"\s*(%|per\s?cent(age)?)(\s+of\b.*)?\s*", re.IGNORECASE)
HUNDRED = Decimal(100)


def indicator_figures(*leading: Any) -> Select[Any]:
    """`leading` columns (or entities) of each indicator, then its `attainment`, `expected`
    share, `status`, `counted` attainment (what it counts for in an average) and its latest
    actual's `latest_value` and `latest_period_end`; its PPA is joined (to filter by it)."""
    latest = (
        select(IndicatorActual.value, IndicatorActual.period_end)
        .where(IndicatorActual.indicator_id == Indicator.id)
        .order_by(IndicatorActual.period_end.desc())
        .limit(1)
        .lateral("latest_actual")
    )
    change = Indicator.target - Indicator.baseline
    attainment = case(
        (change == 0, null()),
        else_=func.round((latest.c.value - Indicator.baseline) * 100 / change, 1),
    )
    # GREATEST and LEAST skip nulls: an indicator without attainment must stay null.
    counted = case(
        (attainment.is_(None), null()),
        else_=func.least(func.greatest(attainment, 0), 100),
    )
    start = func.coalesce(Ppa.start_date, cast(Indicator.created_at, Date))
    # A period of 0 days (or a target date before the start) counts as 1 day: all elapsed.
    period = func.greatest(Indicator.target_date - start, 1)
    share = func.least(func.greatest(cast(latest.c.period_end - start, Numeric) / period, 0), 1)
    # GREATEST and LEAST skip nulls: without an actual (or a change to make), no expectation.
    expected = case(
        (change == 0, null()),
        (latest.c.period_end.is_(None), null()),
        else_=func.round(share * 100, 1),
    )
    status = case(
        (attainment.is_(None), IndicatorStatus.NO_DATA.value),
        (attainment >= expected, IndicatorStatus.ON_TRACK.value),
        else_=IndicatorStatus.BEHIND.value,
    )
    return (
        select(
            *leading,
            attainment.label("attainment"),
            expected.label("expected"),
            status.label("status"),
            counted.label("counted"),
            latest.c.value.label("latest_value"),
            latest.c.period_end.label("latest_period_end"),
        )
        .select_from(Indicator)
        .join(Ppa, Ppa.id == Indicator.ppa_id)
        .outerjoin(latest, true())
    )


def list_indicators(session: Session, ppa_id: uuid.UUID) -> list[IndicatorRead]:
    _ensure_ppa(session, ppa_id)
    rows = session.execute(
        indicator_figures(Indicator)
        .where(Indicator.ppa_id == ppa_id)
        .order_by(Indicator.created_at, Indicator.id)
    )
    return [_read(row) for row in rows]


def indicator_read(session: Session, indicator_id: uuid.UUID) -> IndicatorRead:
    """One indicator as the API answers it (its actuals and figures read afresh)."""
    row = session.execute(
        indicator_figures(Indicator)
        .where(Indicator.id == indicator_id)
        .execution_options(populate_existing=True)
    ).one()
    return _read(row)


def _read(row: Row[Any]) -> IndicatorRead:
    indicator: Indicator = row[0]
    attainment, expected = row.attainment, row.expected
    latest = indicator.actuals[0] if indicator.actuals else None
    note = None
    if latest is None:
        note = NOT_MEASURED_YET
    elif indicator.target == indicator.baseline:
        note = TARGET_IS_BASELINE
    return model_of(
        IndicatorRead,
        indicator,
        latest_actual=latest,
        attainment=None if attainment is None else float(attainment),
        expected=None if expected is None else float(expected),
        status=IndicatorStatus(row.status),
        attainment_note=note,
    )


def create_indicator(
    session: Session, ppa_id: uuid.UUID, data: IndicatorCreate, principal: Principal
) -> Indicator:
    _ensure_ppa(session, ppa_id)
    indicator = new_record(Indicator, principal, ppa_id=ppa_id, **data.model_dump())
    insert_row(session, indicator)
    return indicator


def update_indicator(
    session: Session,
    ppa_id: uuid.UUID,
    indicator_id: uuid.UUID,
    changes: IndicatorUpdate,
    principal: Principal,
    expected_version: int | None = None,
) -> Indicator:
    indicator = _locked(session, ppa_id, indicator_id, expected_version)
    before = Scale.of(indicator)
    apply_changes(indicator, changes.changes(), by=principal)
    _ensure_actuals_still_possible(indicator, before)
    session.flush()
    return indicator


def delete_indicator(
    session: Session,
    ppa_id: uuid.UUID,
    indicator_id: uuid.UUID,
    expected_version: int | None = None,
) -> None:
    """Its actuals go with it."""
    delete_row(session, _locked(session, ppa_id, indicator_id, expected_version))


def record_actual(
    session: Session,
    ppa_id: uuid.UUID,
    indicator_id: uuid.UUID,
    data: ActualCreate,
    principal: Principal,
    today: date | None = None,
) -> IndicatorActual:
    """One actual per period end: a second is a 409 (a correction deletes the first). The
    indicator is row-locked, so two simultaneous actuals of one period queue and the second
    is refused the same way; periods may be recorded in any order. A period and a value the
    indicator cannot have are refused together (one 422 naming both)."""
    indicator = _locked(session, ppa_id, indicator_id, None)
    # Share-locked: a move of the PPA's start (which checks the actuals recorded) waits for
    # this one to be recorded, or this one sees the start moved.
    start = session.scalar(
        select(Ppa.start_date).where(Ppa.id == ppa_id).with_for_update(read=True)
    )
    problems = InputProblems()
    with problems.check():
        ensure_not_future(
            data.period_end,
            today or today_somewhere(),
            field="period_end",
            why="an actual is measured at a period's end",
        )
    if start is not None and data.period_end < start:
        problems.add(
            "period_end",
            f"must not be before the PPA's start date ({format_day(start)}): an actual "
            "measures the PPA's work",
        )
    refused = Scale.of(indicator).refuses(data.value)
    if refused is not None:
        problems.add("value", refused.why_not(indicator.unit))
    problems.raise_if_any()
    recorded = session.scalar(
        select(IndicatorActual.id).where(
            IndicatorActual.indicator_id == indicator_id,
            IndicatorActual.period_end == data.period_end,
        )
    )
    if recorded is not None:
        raise ConflictError(
            f"period_end: an actual for the period ending {data.period_end} is already "
            "recorded; delete it to record that period again",
            field="period_end",
        )
    actual = IndicatorActual(
        id=uuid.uuid4(),
        indicator_id=indicator_id,
        recorded_by=principal.user_id,
        **data.model_dump(),
    )
    insert_row(session, actual)
    return actual


@dataclass(frozen=True)
class ValueRule:
    """A limit of the values an indicator can take: what a value breaking it is, the
    indicator's fields that decide whether it applies, and why, said of a value recorded
    (`reason`) and of an edit making it apply (`once`); {unit} is the indicator's unit."""

    breaking: str
    fields: tuple[str, ...]
    reason: str
    once: str

    def why_not(self, unit: str) -> str:
        """The refusal of one value, beside the value."""
        return f"cannot be {self.breaking}: {self.reason.format(unit=unit)}"


NOT_NEGATIVE = ValueRule(
    "negative",
    ("baseline", "target"),
    "this indicator counts or measures from 0 up (its baseline and target are not negative)",
    "once its baseline and target are not negative",
)
AT_MOST_HUNDRED = ValueRule(
    "above 100",
    ("unit", "baseline", "target"),
    "this indicator is a percentage ({unit})",
    "as a percentage ({unit})",
)


@dataclass(frozen=True)
class Scale:
    """What decides the values an indicator can take (the module's rule)."""

    unit: str
    baseline: Decimal
    target: Decimal

    @classmethod
    def of(cls, indicator: Indicator) -> Scale:
        return cls(indicator.unit, indicator.baseline, indicator.target)

    def is_share(self) -> bool:
        """A percentage of a whole (at most 100), by its unit and its figures."""
        return bool(PERCENTAGE_UNIT.fullmatch(self.unit)) and all(
            0 <= figure <= HUNDRED for figure in (self.baseline, self.target)
        )

    def refuses(self, value: Decimal) -> ValueRule | None:
        """The rule `value` breaks, if any."""
        if value < 0 and self.baseline >= 0 and self.target >= 0:
            return NOT_NEGATIVE
        if value > HUNDRED and self.is_share():
            return AT_MOST_HUNDRED
        return None


# An edit refused for the actuals it would break names this many of them, then counts the rest.
NAMED_ACTUALS = 5


def _listed(named: Sequence[str]) -> str:
    shown = ", ".join(named[:NAMED_ACTUALS])
    more = len(named) - NAMED_ACTUALS
    return shown + (f" and {more} more" if more > 0 else "")


def _actuals(count: int) -> str:
    return f"{count} recorded actual{'' if count == 1 else 's'}"


def _measured(value: Decimal) -> str:
    """120.00 -> "120", 12.50 -> "12.5"."""
    return format(value.normalize(), ",f")


def _ensure_actuals_still_possible(indicator: Indicator, before: Scale) -> None:
    """Refuse (one 422) an edit of `indicator`, which had the scale `before`, that would leave
    recorded actuals it cannot take: each rule they would break beside the first field of
    the edit that makes it apply, naming them. Actuals that broke it already do not stop
    an edit."""
    after = Scale.of(indicator)
    broken: dict[ValueRule, list[IndicatorActual]] = {}
    for actual in sorted(indicator.actuals, key=lambda actual: actual.period_end):
        rule = after.refuses(actual.value)
        if rule is not None and before.refuses(actual.value) is None:
            broken.setdefault(rule, []).append(actual)
    problems = InputProblems()
    for rule, actuals in broken.items():
        field = next(name for name in rule.fields if getattr(before, name) != getattr(after, name))
        named = [
            f"{_measured(actual.value)} for the period ending {format_day(actual.period_end)}"
            for actual in actuals
        ]
        one = len(actuals) == 1
        problems.add(
            field,
            f"{_actuals(len(actuals))} {'is' if one else 'are'} {rule.breaking} "
            f"({_listed(named)}), which the indicator could not take "
            f"{rule.once.format(unit=after.unit)}; delete {'it' if one else 'them'} first",
        )
    problems.raise_if_any()


def actuals_before_start(
    session: Session, ppa_id: uuid.UUID, start: date | None, previous: date | None
) -> str | None:
    """Why the PPA `ppa_id` cannot start on `start` (it started on `previous`): the actuals
    of its indicators that would end before it (those ending before `previous` too broke
    the rule already and do not count); None when there are none."""
    if start is None:
        return None
    earlier = IndicatorActual.period_end < start
    if previous is not None:
        earlier &= IndicatorActual.period_end >= previous
    rows = session.execute(
        select(Indicator.name, IndicatorActual.period_end)
        .join(Indicator, Indicator.id == IndicatorActual.indicator_id)
        .where(Indicator.ppa_id == ppa_id, earlier)
        .order_by(IndicatorActual.period_end, Indicator.name)
    ).all()
    if not rows:
        return None
    named = [f"{quoted(name)} for the period ending {format_day(end)}" for name, end in rows]
    them = "it" if len(rows) == 1 else "them"
    return (
        f"{_actuals(len(rows))} of its indicators would end before it ({_listed(named)}), "
        f"and an actual measures the PPA's work; delete {them} first or start the PPA on "
        f"{format_day(rows[0].period_end)} or earlier"
    )


def delete_actual(
    session: Session, ppa_id: uuid.UUID, indicator_id: uuid.UUID, actual_id: uuid.UUID
) -> None:
    _locked(session, ppa_id, indicator_id, None)
    actual = get_or_404(session, IndicatorActual, actual_id, what="actual", for_update=True)
    if actual.indicator_id != indicator_id:
        raise NotFoundError("actual", actual_id)
    session.delete(actual)
    session.flush()


def _locked(
    session: Session, ppa_id: uuid.UUID, indicator_id: uuid.UUID, expected_version: int | None
) -> Indicator:
    """The PPA's indicator, row-locked for writing (a stale `expected_version` is a 412)."""
    indicator = locked(session, Indicator, indicator_id, expected_version, what="indicator")
    if indicator.ppa_id != ppa_id:
        raise NotFoundError("indicator", indicator_id)
    return indicator


def _ensure_ppa(session: Session, ppa_id: uuid.UUID) -> None:
    columns_or_404(session, Ppa, ppa_id, Ppa.id, what="PPA")
