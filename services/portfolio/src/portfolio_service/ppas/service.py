"""PPA domain logic. Functions take a session and never commit; the route does.

Who may create, change or delete a PPA is decided before these run (authz.py); what nobody
may do (change the budget or scope of a PPA under review or approved) is refused here.
`progress` comes from the linked tasks (progress.service) and `approval_status` from the
approval workflow (approvals.service); neither is written here.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Date,
    Numeric,
    Select,
    and_,
    case,
    cast,
    exists,
    func,
    literal,
    not_,
    or_,
    select,
)
from sqlalchemy.orm import InstrumentedAttribute, Session, aliased, undefer

from obcms_platform import records
from obcms_platform.approval import DELETABLE_STAGES, FROZEN_FIELDS
from obcms_platform.auth import Principal
from obcms_platform.contracts import (
    PPA_CREATED,
    PPA_DELETED,
    PPA_UPDATED,
    PpaChanged,
    PpaCreated,
    RecordDeleted,
)
from obcms_platform.errors import ConflictError, InputProblems
from obcms_platform.pagination import PageParams, paginate
from obcms_platform.psgc import gazetteer
from obcms_platform.vocabulary import PpaStatus
from obcms_platform.zones import office_today
from portfolio_service.authz import ppa_ownership
from portfolio_service.ceilings.models import BudgetCeiling
from portfolio_service.ceilings.service import ensure_within_ceiling
from portfolio_service.dashboard.schemas import DashboardFilters
from portfolio_service.db import outbox
from portfolio_service.funding.models import FundingTranche
from portfolio_service.funding.service import ensure_budget_covers_allocations
from portfolio_service.indicators.service import actuals_before_start
from portfolio_service.ppas.models import CEILING_STAGES, Ppa
from portfolio_service.ppas.schemas import (
    PpaCreate,
    PpaFilters,
    PpaSort,
    PpaUpdate,
)
from portfolio_service.workflow.service import create_stages

# The filters on the PPA record's arrays, of the list and the dashboard alike: a PPA matches
# when its column holds any of the values given. A region or province matches the PPAs
# covering any part of it (a barangay of it counts: `coverage_scope` holds the ancestors).
RECORD_FILTERS: dict[str, Any] = {
    "region": Ppa.coverage_scope,
    "province": Ppa.coverage_scope,
    "tag": Ppa.tags,
    "sdg": Ppa.sdgs,
}

# A change of one of these re-checks the budget ceiling of a PPA already counted against it.
CEILING_FIELDS = frozenset({"budget_allocation", "sector", "fiscal_year", "funding_source"})


def get_ppa(session: Session, ppa_id: uuid.UUID) -> Ppa:
    return records.get_or_404(session, Ppa, ppa_id, what="PPA")


def create_ppa(
    session: Session, data: PpaCreate, principal: Principal, record_id: uuid.UUID | None = None
) -> Ppa:
    """A new PPA; `record_id` keeps an imported one's id (`obcms_platform.imports`)."""
    ppa = records.new_record(Ppa, principal, record_id=record_id, **data.model_dump())
    ppa.coverage_scope = gazetteer().scope(ppa.coverage)
    _check_state(ppa)
    records.insert_row(session, ppa)
    create_stages(session, ppa.id)
    # Load the new PPA's collections and last update now, in its transaction: left to a lazy
    # load while the answer is built after the commit, a database gone away meanwhile would
    # turn a stored PPA into an error response.
    session.refresh(
        ppa,
        [
            "milestones",
            "approval_history",
            "need_links",
            "last_update_on",
            "reported_progress",
            "reported_on",
            "tasks_linked",
        ],
    )
    # Its lead and creator: the tasks service assigns the PPA's generated tasks to them.
    announced = PpaCreated.of_record(ppa, owner_ids=_owner_ids(ppa))
    outbox.add(session, PPA_CREATED, announced, subject_id=ppa.id)
    return ppa


def update_ppa(
    session: Session,
    ppa_id: uuid.UUID,
    changes: PpaUpdate,
    principal: Principal,
    expected_version: int | None = None,
) -> Ppa:
    ppa = records.locked(session, Ppa, ppa_id, expected_version, what="PPA")
    values = changes.changes()
    if "coverage" in values:
        values["coverage_scope"] = gazetteer().scope(values["coverage"])
    _ensure_not_frozen(ppa, values)
    started = ppa.start_date
    records.apply_changes(ppa, values, by=principal)
    problems = _state_problems(ppa)
    if ppa.start_date != started:
        # Its indicators' actuals measure its work: none may end before it starts. Read
        # without flushing the edit first: its other problems are refused with this one.
        with session.no_autoflush:
            before_start = actuals_before_start(session, ppa.id, ppa.start_date, started)
        if before_start is not None:
            problems.add("start_date", before_start)
    problems.raise_if_any()
    if ppa.approval_status in CEILING_STAGES and CEILING_FIELDS & values.keys():
        ensure_within_ceiling(session, ppa)
    if "budget_allocation" in values:
        ensure_budget_covers_allocations(session, ppa)
    session.flush()
    announce(session, [ppa])
    return ppa


def announce(session: Session, ppas: Sequence[Ppa]) -> None:
    """Stage ``ppa.updated`` for each of `ppas`, as it is now: its title, dates and owners
    (the tasks service keeps them; `obcms-portfolio ppas announce` sends every PPA's)."""
    outbox.add_all(
        session,
        PPA_UPDATED,
        [(PpaChanged.of_record(ppa, owner_ids=_owner_ids(ppa)), ppa.id) for ppa in ppas],
    )


def delete_ppa(session: Session, ppa_id: uuid.UUID, expected_version: int | None) -> None:
    """A PPA in draft (or rejected) without funding recorded; its milestones, workflow
    stages, approval history and need links go too. Once submitted its record belongs to the
    approval (it goes back to draft only through approval, with a note), and funding once
    recorded is reversed, never deleted: both are refused (409)."""
    ppa = records.locked(session, Ppa, ppa_id, expected_version, what="PPA")
    if ppa.approval_status not in DELETABLE_STAGES:
        raise ConflictError(
            f"approval_status: a PPA in {ppa.approval_status.value} cannot be deleted; send it "
            "back to draft through approval first",
            field="approval_status",
        )
    if session.scalar(select(exists().where(FundingTranche.ppa_id == ppa.id))):
        raise ConflictError(
            "funding: this PPA has funding recorded, which is kept as a record; it cannot be "
            "deleted (its status can be set to cancelled)",
            field="funding",
        )
    records.delete_row(session, ppa)
    outbox.add(session, PPA_DELETED, RecordDeleted(title=ppa.title), subject_id=ppa_id)


def list_ppas(session: Session, filters: PpaFilters, page: PageParams) -> tuple[list[Ppa], int]:
    """A page of the list, each PPA with what it was allocated, obligated and disbursed."""
    return paginate(session, with_funding_totals(filtered_ppas(session, filters)), page)


def filtered_ppas(session: Session, filters: PpaFilters) -> Select[Ppa]:
    """The PPAs the list's filters select, in its order (its pages, its export)."""
    conditions = records.field_conditions(
        Ppa, filters, "category", "status", "sector", "fiscal_year", "approval_status"
    )
    conditions += record_conditions(filters)
    if filters.q:
        conditions.append(records.text_match(filters.q, Ppa.title, Ppa.summary))
    if filters.lead:
        conditions.append(Ppa.lead_id.in_(filters.lead))
    if filters.at_risk is not None:
        behind = at_risk_condition(literal(office_today(), Date))
        conditions.append(behind if filters.at_risk else not_(behind))
    if filters.over_budget is not None:
        over = over_budget_condition()
        conditions.append(over if filters.over_budget else not_(over))
    return select(Ppa).where(*conditions).order_by(*_order(filters.sort))


AT_RISK_MARGIN = 20  # percentage points of the planned period


def at_risk_condition(today: ColumnElement[date]) -> ColumnElement[bool]:
    """A PPA is at risk (behind schedule) when it is planning or ongoing, has a start_date
    and a target_end_date, and the elapsed share of that period exceeds its progress by more
    than 20 percentage points: ``elapsed / period - progress / 100 > 0.2``.

    elapsed = today - start_date and period = target_end_date - start_date, in days (a
    period of 0 days counts as 1); the share is clamped to 0..1, so a PPA not started yet is
    never at risk and one past its target end is at risk below 80 % progress.
    """
    period = func.greatest(Ppa.target_end_date - Ppa.start_date, 1)
    elapsed = today - Ppa.start_date
    share = func.least(func.greatest(cast(elapsed, Numeric) / period, 0), 1)
    return and_(
        Ppa.status.in_([PpaStatus.PLANNING, PpaStatus.ONGOING]),
        Ppa.start_date.is_not(None),
        Ppa.target_end_date.is_not(None),
        share * 100 - Ppa.progress > AT_RISK_MARGIN,
    )


def over_budget_condition() -> ColumnElement[bool]:
    """A PPA is over budget when what its tranches allocated, obligated or disbursed exceeds
    its budget allocation (the funding limits refuse that now; an older record may be), or
    when it counts against an active budget ceiling whose commitments exceed it (a soft one
    lets a PPA through and flags it; a ceiling set below what it holds is over too).

    DOMAIN.md's other budget limit, a PPA's allocation above its own `budget_ceiling`, is
    refused by the database: no PPA is over that.
    """
    spent = func.greatest(Ppa.allocated_total, Ppa.obligated_total, Ppa.disbursed_total)
    held = aliased(Ppa)
    ceiling = BudgetCeiling

    def applies(ppa: Any) -> list[ColumnElement[bool]]:
        return [
            ppa.sector == ceiling.sector,
            ppa.fiscal_year == ceiling.fiscal_year,
            or_(ceiling.funding_source.is_(None), ppa.funding_source == ceiling.funding_source),
            ppa.approval_status.in_(CEILING_STAGES),
        ]

    committed = (
        select(func.coalesce(func.sum(held.budget_allocation), 0))
        .where(*applies(held))
        .correlate(ceiling)
        .scalar_subquery()
    )
    over_ceiling = (
        select(ceiling.id)
        .where(ceiling.is_active, *applies(Ppa), committed > ceiling.amount)
        .correlate(Ppa)
        .exists()
    )
    return or_(
        and_(Ppa.budget_allocation.is_not(None), spent > Ppa.budget_allocation), over_ceiling
    )


# By the work's course (planning, ongoing, completed, on hold, cancelled), not alphabetically.
_STATUS_RANK = case({status: rank for rank, status in enumerate(PpaStatus)}, value=Ppa.status)


def _order(sort: PpaSort) -> tuple[ColumnElement[Any] | InstrumentedAttribute[Any], ...]:
    """The list's order by `sort` (a PPA without the value last either way), then the
    newest first and its id: a stable order for its pages."""
    newest_first = (Ppa.created_at.desc(), Ppa.id)
    if sort is PpaSort.CREATED_AT_DESC:
        return newest_first  # the index's order (ix_ppas__created_at_id)
    name = sort.value.removeprefix("-")
    column = _STATUS_RANK if name == "status" else getattr(Ppa, name)
    by = column.desc() if sort.value.startswith("-") else column.asc()
    return (by.nulls_last(), *newest_first)


def with_funding_totals(statement: Select[Ppa]) -> Select[Ppa]:
    """`statement`'s PPAs read with what each was allocated, obligated and disbursed (the
    list's and its export's)."""
    return statement.options(
        undefer(Ppa.allocated_total), undefer(Ppa.obligated_total), undefer(Ppa.disbursed_total)
    )


def exported_ppas(session: Session, filters: PpaFilters) -> Select[Ppa]:
    """The PPA list's export: its rows, each with its funding totals."""
    return with_funding_totals(filtered_ppas(session, filters))


def record_conditions(filters: PpaFilters | DashboardFilters) -> list[ColumnElement[bool]]:
    """The conditions of the `RECORD_FILTERS` that `filters` gives (an empty list does not
    filter): the PPA list's, or the dashboard's and its reports'."""
    return [
        column.overlap(getattr(filters, name))
        for name, column in RECORD_FILTERS.items()
        if getattr(filters, name)
    ]


def _owner_ids(ppa: Ppa) -> list[uuid.UUID]:
    """Who owns the PPA, as its events name them: the tasks service lets them work its tasks."""
    return sorted(ppa_owner_ids(ppa), key=str)


def ppa_owner_ids(ppa: Ppa) -> frozenset[uuid.UUID]:
    return ppa_ownership(ppa).owners


def _ensure_not_frozen(ppa: Ppa, values: dict[str, Any]) -> None:
    """Budget and scope under or past budget review change only through approval."""
    if ppa.approval_status not in CEILING_STAGES:
        return
    changed = sorted(
        name for name in FROZEN_FIELDS & values.keys() if getattr(ppa, name) != values[name]
    )
    if changed:
        raise ConflictError(
            f"{changed[0]}: the budget and scope of a PPA in {ppa.approval_status.value} are "
            "frozen; send it back to draft through approval to change them",
            field=changed[0],
        )


def _check_state(ppa: Ppa) -> None:
    """Refuse dates and a budget that disagree: one 422 naming each field at fault."""
    _state_problems(ppa).raise_if_any()


def _state_problems(ppa: Ppa) -> InputProblems:
    """The PPA's dates and budget that disagree, each field at fault."""
    problems = InputProblems()
    if ppa.start_date and ppa.target_end_date and ppa.start_date > ppa.target_end_date:
        problems.add("target_end_date", "must not be before start_date")
    if ppa.start_date and ppa.actual_end_date and ppa.start_date > ppa.actual_end_date:
        problems.add("actual_end_date", "must not be before start_date")
    if (
        ppa.budget_allocation is not None
        and ppa.budget_ceiling is not None
        and ppa.budget_allocation > ppa.budget_ceiling
    ):
        problems.add(
            "budget_allocation",
            f"{ppa.budget_allocation:,.2f} exceeds the PPA's budget_ceiling of "
            f"{ppa.budget_ceiling:,.2f}",
        )
    return problems
