"""The approval queue: who decides which stages (managers the reviews, admins the final
approval too, `obcms_platform.approval`), the PPAs waiting there oldest first, and the
ceiling impact of approving each. Reads only."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from obcms_platform.approval import decided_stages, offered_moves
from obcms_platform.auth import Principal, Role
from obcms_platform.formatting import OFFICE_ZONE
from portfolio_service.approval_queue.schemas import ApprovalQueue, CeilingImpactRead, QueuedPpa
from portfolio_service.approvals.models import ApprovalHistory
from portfolio_service.ceilings.models import CeilingEnforcement
from portfolio_service.ceilings.service import ceiling_impacts, ceiling_name
from portfolio_service.ppas.models import Ppa


def approval_queue(session: Session, principal: Principal, now: datetime) -> ApprovalQueue:
    stages = decided_stages(admin=principal.has_role(Role.ADMIN))
    may_decide = principal.has_role(Role.MANAGER)
    entered = (
        select(func.max(ApprovalHistory.changed_at))
        .where(
            ApprovalHistory.ppa_id == Ppa.id,
            ApprovalHistory.to_status == Ppa.approval_status,
        )
        .correlate(Ppa)
        .scalar_subquery()
    )
    waiting_since = func.coalesce(entered, Ppa.updated_at).label("waiting_since")
    rows = session.execute(
        select(Ppa, waiting_since)
        .where(Ppa.approval_status.in_(stages))
        .order_by(waiting_since, Ppa.id)
    ).all()
    impacts = ceiling_impacts(session, [ppa for ppa, _ in rows])
    today = now.astimezone(OFFICE_ZONE).date()
    admin = principal.has_role(Role.ADMIN)
    items = []
    for ppa, since in rows:
        ceilings = [
            CeilingImpactRead(
                ceiling_id=impact.ceiling.id,
                name=ceiling_name(impact.ceiling),
                enforcement=impact.ceiling.enforcement,
                amount=impact.ceiling.amount,
                committed_by_others=impact.committed_by_others,
                headroom_after=impact.headroom_after,
                flag=impact.flag,
            )
            for impact in impacts.get(ppa.id, [])
        ]
        over = {ceiling.enforcement for ceiling in ceilings if ceiling.flag}
        items.append(
            QueuedPpa(
                id=ppa.id,
                title=ppa.title,
                approval_status=ppa.approval_status,
                version=ppa.version,
                sector=ppa.sector,
                fiscal_year=ppa.fiscal_year,
                funding_source=ppa.funding_source,
                budget_allocation=ppa.budget_allocation,
                budget_currency=ppa.budget_currency,
                waiting_since=since,
                days_waiting=(today - since.astimezone(OFFICE_ZONE).date()).days,
                moves=list(offered_moves(ppa.approval_status, admin=admin)) if may_decide else [],
                ceilings=ceilings,
                over_soft_ceiling=CeilingEnforcement.SOFT in over,
                over_hard_ceiling=CeilingEnforcement.HARD in over,
            )
        )
    return ApprovalQueue(stages=stages, may_decide=may_decide, items=items)
