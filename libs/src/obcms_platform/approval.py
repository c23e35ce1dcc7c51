"""The PPA approval workflow's rules (DOMAIN.md), declared once: the portfolio service enforces
them and the gateway offers only the moves they allow.

    draft -> technical_review -> budget_review -> (stakeholder_consultation ->)
    executive_approval -> approved -> enacted

Every review stage may go to rejected (saying why, in the move's note), and rejected back to
draft. The final approval (into approved, and on into enacted) and undoing it (approved back
to draft) need the admin role; undoing it also needs a note saying why.
"""

from __future__ import annotations

from obcms_platform.vocabulary import ApprovalStatus

S = ApprovalStatus

# The stages in which a PPA waits for a manager's (or, last, an admin's) move.
REVIEW_STAGES: tuple[ApprovalStatus, ...] = (
    S.TECHNICAL_REVIEW,
    S.BUDGET_REVIEW,
    S.STAKEHOLDER_CONSULTATION,
    S.EXECUTIVE_APPROVAL,
)
# From -> the moves allowed, in the order a page offers them.
TRANSITIONS: dict[ApprovalStatus, tuple[ApprovalStatus, ...]] = {
    S.DRAFT: (S.TECHNICAL_REVIEW,),
    S.TECHNICAL_REVIEW: (S.BUDGET_REVIEW, S.REJECTED),
    S.BUDGET_REVIEW: (S.STAKEHOLDER_CONSULTATION, S.EXECUTIVE_APPROVAL, S.REJECTED),
    S.STAKEHOLDER_CONSULTATION: (S.EXECUTIVE_APPROVAL, S.REJECTED),
    S.EXECUTIVE_APPROVAL: (S.APPROVED, S.REJECTED),
    S.APPROVED: (S.ENACTED, S.DRAFT),
    S.ENACTED: (),
    S.REJECTED: (S.DRAFT,),
}
ADMIN_TARGETS = frozenset({S.APPROVED, S.ENACTED})
# Undoing an approval (to change an approved PPA's budget or scope).
UNDOING_APPROVAL = (S.APPROVED, S.DRAFT)
# Undoing an approval is an admin's move too.
ADMIN_MOVES = frozenset({UNDOING_APPROVAL})

# From budget review on, a PPA's budget and scope (`FROZEN_FIELDS`) change only by sending it
# back through approval (rejected -> draft, or approved -> draft by an admin), and its budget
# counts against its sector's ceiling.
FROZEN_STAGES = frozenset(
    {S.BUDGET_REVIEW, S.STAKEHOLDER_CONSULTATION, S.EXECUTIVE_APPROVAL, S.APPROVED, S.ENACTED}
)
FROZEN_FIELDS = frozenset(
    {
        "title",
        "summary",
        "category",
        "sector",
        "appropriation_class",
        "funding_source",
        "fiscal_year",
        "budget_allocation",
        "budget_ceiling",
        "budget_currency",
    }
)

# The stages a PPA may be deleted in: before it is submitted, or once rejected (and never
# once funding is recorded: the portfolio service refuses that too).
DELETABLE_STAGES = frozenset({S.DRAFT, S.REJECTED})
# Moves that must say why (the note is the approval history's record of it, and the PPA's
# owners are told it).
NOTED_MOVES = frozenset({UNDOING_APPROVAL})


def needs_admin(current: ApprovalStatus, target: ApprovalStatus) -> bool:
    return target in ADMIN_TARGETS or (current, target) in ADMIN_MOVES


def missing_note(current: ApprovalStatus, target: ApprovalStatus) -> str | None:
    """What the note of the move from `current` to `target` must say, when the move must say
    why (a rejection, undoing an approval); None when a note is optional."""
    if target is S.REJECTED:
        return "give the reason for rejecting it, the PPA's owners read it"
    if (current, target) in NOTED_MOVES:
        return f"say why the PPA goes back from {current.value} to {target.value}"
    return None


def decided_stages(*, admin: bool) -> list[ApprovalStatus]:
    """The review stages whose PPAs wait for a manager's decision (`admin`: an admin's):
    those whose move on (a stage's first move) a manager may make; the final approval's
    stage is an admin's."""
    return [
        stage for stage in REVIEW_STAGES if admin or not needs_admin(stage, TRANSITIONS[stage][0])
    ]


def offered_moves(current: ApprovalStatus, *, admin: bool) -> tuple[ApprovalStatus, ...]:
    """The moves from `current` a manager (`admin`: an admin) may make."""
    return tuple(
        target for target in TRANSITIONS[current] if admin or not needs_admin(current, target)
    )
