"""The PPA approval workflow's rules (DOMAIN.md), declared once: the portfolio service enforces
them and the gateway offers only the moves they allow.

    draft -> technical_review -> budget_review -> (stakeholder_consultation ->)
    executive_approval -> approved -> enacted

Every review stage may go to rejected (saying why, in the move's note), and rejected back to
draft. A review stage may also go straight back to draft, saying what to change: the PPA is
returned for changes, one move (DOMAIN.md routes it through rejected, which recorded and
announced a return as a rejection). The final approval (into approved, and on into enacted)
and undoing it (approved back to draft) need the admin role; undoing it also needs a note
saying why.
"""

from __future__ import annotations

from obcms_platform.formatting import label
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
    S.TECHNICAL_REVIEW: (S.BUDGET_REVIEW, S.DRAFT, S.REJECTED),
    S.BUDGET_REVIEW: (S.STAKEHOLDER_CONSULTATION, S.EXECUTIVE_APPROVAL, S.DRAFT, S.REJECTED),
    S.STAKEHOLDER_CONSULTATION: (S.EXECUTIVE_APPROVAL, S.DRAFT, S.REJECTED),
    S.EXECUTIVE_APPROVAL: (S.APPROVED, S.DRAFT, S.REJECTED),
    S.APPROVED: (S.ENACTED, S.DRAFT),
    S.ENACTED: (),
    S.REJECTED: (S.DRAFT,),
}
# What a return for changes is called wherever it is told (history, activity, notifications).
RETURNED = "returned for changes"
ADMIN_TARGETS = frozenset({S.APPROVED, S.ENACTED})
# Undoing an approval (to change an approved PPA's budget or scope).
UNDOING_APPROVAL = (S.APPROVED, S.DRAFT)
# Undoing an approval is an admin's move too.
ADMIN_MOVES = frozenset({UNDOING_APPROVAL})

# From budget review on, a PPA's budget and scope (`FROZEN_FIELDS`) change only by sending it
# back to draft (returned for changes, rejected -> draft, or approved -> draft by an admin), and
# its budget
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


def is_return(current: ApprovalStatus, target: ApprovalStatus) -> bool:
    """Whether the move returns the PPA for changes: from a review stage back to draft."""
    return current in REVIEW_STAGES and target is S.DRAFT


def needs_admin(current: ApprovalStatus, target: ApprovalStatus) -> bool:
    return target in ADMIN_TARGETS or (current, target) in ADMIN_MOVES


def missing_note(current: ApprovalStatus, target: ApprovalStatus) -> str | None:
    """What the note of the move from `current` to `target` must say, when the move must say
    why (a rejection, a return for changes, undoing an approval); None when a note is
    optional."""
    if target is S.REJECTED:
        return "give the reason for rejecting it, the PPA's owners read it"
    if is_return(current, target):
        return "say what to change, the PPA's owners read it"
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


def move_in_words(current: ApprovalStatus | str | None, target: ApprovalStatus | str) -> str:
    """What a move did to the PPA, as its people read it after "The PPA …": "was returned for
    changes", "was rejected", "was approved", "is back in draft", "moved to budget review"."""
    before = ApprovalStatus(current) if current else None
    after = ApprovalStatus(target)
    if before is not None and is_return(before, after):
        return f"was {RETURNED}"
    if after in (S.APPROVED, S.REJECTED, S.ENACTED):
        return f"was {after.value}"
    if after is S.DRAFT:
        return "is back in draft"
    return f"moved to {label(after).lower()}"


def stage_reached(current: ApprovalStatus | str | None, target: ApprovalStatus | str) -> str:
    """The stage a move reached, in words, saying a return for changes: "Draft (returned for
    changes)", "Rejected", "Budget review"."""
    after = ApprovalStatus(target)
    if current and is_return(ApprovalStatus(current), after):
        return f"{label(after)} ({RETURNED})"
    return label(after)


def offered_moves(current: ApprovalStatus, *, admin: bool) -> tuple[ApprovalStatus, ...]:
    """The moves from `current` a manager (`admin`: an admin) may make."""
    return tuple(
        target for target in TRANSITIONS[current] if admin or not needs_admin(current, target)
    )
