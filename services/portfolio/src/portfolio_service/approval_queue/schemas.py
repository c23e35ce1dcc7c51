"""Approval queue response schemas."""

from __future__ import annotations

import uuid
from datetime import datetime

from obcms_platform.schemas import ResponseModel
from portfolio_service.ceilings.models import CeilingEnforcement
from portfolio_service.fields import Money
from portfolio_service.ppas.models import ApprovalStatus, FundingSource, Sector


class CeilingImpactRead(ResponseModel):
    """One ceiling the PPA is held to: what the others commit, and the headroom left once
    this PPA counts too (negative: over by that much)."""

    ceiling_id: uuid.UUID
    name: str
    enforcement: CeilingEnforcement
    amount: Money
    committed_by_others: Money
    headroom_after: Money
    # In words, when approving takes the ceiling over: "over the soft ceiling for GAA
    # infrastructure 2027 by ₱120,000.00".
    flag: str | None


class QueuedPpa(ResponseModel):
    id: uuid.UUID
    title: str
    approval_status: ApprovalStatus
    version: int
    sector: Sector | None
    fiscal_year: int | None
    funding_source: FundingSource | None
    budget_allocation: Money | None
    budget_currency: str
    # When it entered its stage, and the whole days since (in the office's time zone).
    waiting_since: datetime
    days_waiting: int
    # The moves the caller may make from its stage (none: read-only).
    moves: list[ApprovalStatus]
    ceilings: list[CeilingImpactRead]
    # Approving it takes a soft ceiling over (the flags of `ceilings`).
    over_soft_ceiling: bool
    # Approving it would take a hard ceiling over: moving it into budget review is refused.
    over_hard_ceiling: bool


class ApprovalQueue(ResponseModel):
    """The PPAs waiting in the stages the caller decides on, oldest first. A caller without
    the manager role sees a manager's queue, read-only (`may_decide` false, no moves)."""

    stages: list[ApprovalStatus]
    may_decide: bool
    items: list[QueuedPpa]
