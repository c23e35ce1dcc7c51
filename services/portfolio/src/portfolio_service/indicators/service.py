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
"""

from __future__ import annotations

import re
import uuid
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import Date, Numeric, Row, Select, case, cast, func, null, select, true
from sqlalchemy.orm import Session

from obcms_platform.auth import Principal
from obcms_platform.errors import (
    ConflictError,
    InputProblems,
    InvalidInputError,
    NotFoundError,
)
from obcms_platform.formatting import format_day
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
    apply_changes(indicator, changes.changes(), by=principal)
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
    start = session.scalar(select(Ppa.start_date).where(Ppa.id == ppa_id))
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
    with problems.check():
        _ensure_possible(indicator, data.value)
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


def _is_share(indicator: Indicator) -> bool:
    """A percentage of a whole (at most 100), by its unit and its figures."""
    return bool(PERCENTAGE_UNIT.fullmatch(indicator.unit)) and all(
        0 <= figure <= HUNDRED for figure in (indicator.baseline, indicator.target)
    )


def _ensure_possible(indicator: Indicator, value: Decimal) -> None:
    """Refuse (422 naming `value`) a value the indicator cannot take (the module's rule)."""
    if value < 0 and indicator.baseline >= 0 and indicator.target >= 0:
        raise InvalidInputError(
            "value: cannot be negative: this indicator counts or measures from 0 up (its "
            "baseline and target are not negative)",
            field="value",
        )
    if value > HUNDRED and _is_share(indicator):
        raise InvalidInputError(
            f"value: cannot be above 100: this indicator is a percentage ({indicator.unit})",
            field="value",
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
