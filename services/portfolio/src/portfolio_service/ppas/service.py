"""PPA domain logic. Functions take a session and never commit; the route does.

Who may create, change or delete a PPA is decided before these run (authz.py); what nobody
may do (change the budget or scope of a PPA under review or approved) is refused here.
`progress` comes from the linked tasks (progress.service) and `approval_status` from the
approval workflow (approvals.service); neither is written here.
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from obcms_platform.auth import Principal
from obcms_platform.contracts import (
    PPA_CREATED,
    PPA_DELETED,
    PPA_UPDATED,
    PpaChanged,
    PpaCreated,
    RecordDeleted,
)
from obcms_platform.errors import ConflictError, InvalidInputError
from obcms_platform.pagination import PageParams, paginate
from obcms_platform.records import (
    apply_changes,
    delete_row,
    field_conditions,
    get_or_404,
    insert_row,
    locked,
    new_record,
    text_match,
)
from portfolio_service.authz import FROZEN_FIELDS, ppa_ownership
from portfolio_service.ceilings.service import ensure_within_ceiling
from portfolio_service.db import outbox
from portfolio_service.ppas.models import CEILING_STAGES, Ppa
from portfolio_service.ppas.schemas import (
    PpaCreate,
    PpaFilters,
    PpaUpdate,
)
from portfolio_service.workflow.service import create_stages

# A change of one of these re-checks the budget ceiling of a PPA already counted against it.
CEILING_FIELDS = frozenset({"budget_allocation", "sector", "fiscal_year"})


def get_ppa(session: Session, ppa_id: uuid.UUID) -> Ppa:
    return get_or_404(session, Ppa, ppa_id, what="PPA")


def create_ppa(session: Session, data: PpaCreate, principal: Principal) -> Ppa:
    ppa = new_record(Ppa, principal, **data.model_dump())
    _check_state(ppa)
    insert_row(session, ppa)
    create_stages(session, ppa.id)
    # Load the new PPA's collections now, in its transaction: left to a lazy load while the
    # answer is built after the commit, a database gone away meanwhile would turn a stored
    # PPA into an error response.
    session.refresh(ppa, ["milestones", "approval_history", "need_links"])
    # Its lead and creator: the tasks service assigns the PPA's generated tasks to them.
    announced = PpaCreated(
        **event_data(ppa).model_dump(), lead_id=ppa.lead_id, created_by=ppa.created_by
    )
    outbox.add(session, PPA_CREATED, announced, subject_id=ppa.id)
    return ppa


def update_ppa(
    session: Session,
    ppa_id: uuid.UUID,
    changes: PpaUpdate,
    principal: Principal,
    expected_version: int | None = None,
) -> Ppa:
    ppa = locked(session, Ppa, ppa_id, expected_version, what="PPA")
    values = changes.changes()
    _ensure_not_frozen(ppa, values)
    apply_changes(ppa, values, by=principal)
    _check_state(ppa)
    if ppa.approval_status in CEILING_STAGES and CEILING_FIELDS & values.keys():
        ensure_within_ceiling(session, ppa)
    session.flush()
    outbox.add(session, PPA_UPDATED, event_data(ppa), subject_id=ppa.id)
    return ppa


def delete_ppa(session: Session, ppa_id: uuid.UUID, expected_version: int | None) -> None:
    """Its milestones, workflow stages, approval history, funding and need links go too."""
    ppa = locked(session, Ppa, ppa_id, expected_version, what="PPA")
    delete_row(session, ppa)
    outbox.add(session, PPA_DELETED, RecordDeleted(title=ppa.title), subject_id=ppa_id)


def list_ppas(session: Session, filters: PpaFilters, page: PageParams) -> tuple[list[Ppa], int]:
    conditions = field_conditions(
        Ppa, filters, "category", "status", "sector", "fiscal_year", "approval_status"
    )
    if filters.q:
        conditions.append(text_match(filters.q, Ppa.title, Ppa.summary))
    statement = select(Ppa).where(*conditions).order_by(Ppa.created_at.desc(), Ppa.id)
    return paginate(session, statement, page)


def event_data(ppa: Ppa) -> PpaChanged:
    """The payload of `ppa.updated` (and the most of `ppa.created`)."""
    return PpaChanged(
        title=ppa.title,
        category=ppa.category,
        status=ppa.status,
        start_date=ppa.start_date,
        target_end_date=ppa.target_end_date,
        fiscal_year=ppa.fiscal_year,
        # Who owns the PPA: the tasks service lets them work its tasks.
        owner_ids=sorted(ppa_owner_ids(ppa), key=str),
    )


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
    if ppa.start_date and ppa.target_end_date and ppa.start_date > ppa.target_end_date:
        raise InvalidInputError(
            "target_end_date: must not be before start_date", field="target_end_date"
        )
    if ppa.start_date and ppa.actual_end_date and ppa.start_date > ppa.actual_end_date:
        raise InvalidInputError(
            "actual_end_date: must not be before start_date", field="actual_end_date"
        )
    if (
        ppa.budget_allocation is not None
        and ppa.budget_ceiling is not None
        and ppa.budget_allocation > ppa.budget_ceiling
    ):
        raise InvalidInputError(
            f"budget_allocation: {ppa.budget_allocation:,.2f} exceeds the PPA's budget_ceiling "
            f"of {ppa.budget_ceiling:,.2f}",
            field="budget_allocation",
        )
