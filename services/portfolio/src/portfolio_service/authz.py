"""Who may change what in the portfolio (the rules of `obcms_platform.authz`).

A PPA is owned by its creator, its lead and its team members; its milestones, budget
workflow stages, indicators (with their actuals) and status updates belong to it. An
assessment or a need is owned by its creator. A file attached to a PPA or an assessment is
deleted by its uploader, the record's owners or a manager. Managers may change any of them;
reviews, approvals, funding, budget ceilings and the needs' ranks are managers' work. What
nobody may do: change the budget or scope of a PPA in or past budget review
(`obcms_platform.approval.FROZEN_FIELDS`), except by sending it back through the approval workflow.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Protocol

from obcms_platform.attachments import attachment_rules
from obcms_platform.auth import Role
from obcms_platform.authz import Ownership, Rule, owned_by, owners_loader
from obcms_platform.comments import CommentRules
from obcms_platform.export_jobs import export_job_rules
from portfolio_service.assessments.models import Assessment
from portfolio_service.attachments.models import ASSESSMENT_FILES, PPA_FILES
from portfolio_service.comments.models import Comment
from portfolio_service.exports.models import ExportJob
from portfolio_service.needs.models import Need
from portfolio_service.ppas.models import Ppa


class PpaPeople(Protocol):
    """What of a PPA names its people (a `Ppa`, or a row of `PPA_PEOPLE_COLUMNS`)."""

    @property
    def created_by(self) -> uuid.UUID | None: ...
    @property
    def lead_id(self) -> uuid.UUID | None: ...
    @property
    def member_ids(self) -> Sequence[uuid.UUID]: ...


# Selected beside other columns where many PPAs' owners are needed at once (the feed).
PPA_PEOPLE_COLUMNS = (Ppa.created_by, Ppa.lead_id, Ppa.member_ids)


def ppa_ownership(ppa: PpaPeople) -> Ownership:
    """Who owns a PPA: its creator, lead and members."""
    return Ownership.of(ppa.created_by, ppa.lead_id, ppa.member_ids)


ppa_owners = owners_loader(
    Ppa, *PPA_PEOPLE_COLUMNS, param="ppa_id", what="PPA", owners=ppa_ownership
)


def assessment_ownership(created_by: uuid.UUID | None) -> Ownership:
    """Who owns an assessment: its creator."""
    return Ownership.of(created_by)


_assessment_owners = owned_by(Assessment.created_by, param="assessment_id", what="assessment")
_need_owners = owned_by(Need.created_by, param="need_id", what="need")

PPA_OWNERS = "the PPA's creator, lead and members"


PPA_CREATE = Rule("ppa.create", "Create a PPA", role=Role.STAFF)
# Many records at once, each under its own id: a manager's work, as funding is.
PPA_IMPORT = Rule("ppa.import", "Import PPAs from an Excel workbook", role=Role.MANAGER)
PPA_UPDATE = Rule.owned("ppa.update", "Change a PPA", loader=ppa_owners, owners_are=PPA_OWNERS)
PPA_DELETE = Rule.owned("ppa.delete", "Delete a PPA", loader=ppa_owners, owners_are=PPA_OWNERS)
MILESTONE_WRITE = Rule.owned(
    "milestone.write",
    "Add, change or delete a PPA's milestones",
    loader=ppa_owners,
    owners_are=PPA_OWNERS,
)
INDICATOR_WRITE = Rule.owned(
    "indicator.write",
    "Add, change or delete a PPA's indicators and their actuals",
    loader=ppa_owners,
    owners_are=PPA_OWNERS,
)
STATUS_UPDATE_CREATE = Rule.owned(
    "status_update.create",
    "Add a status update to a PPA's log",
    loader=ppa_owners,
    owners_are=PPA_OWNERS,
)
WORKFLOW_UPDATE = Rule.owned(
    "workflow.update",
    "Move a PPA's budget workflow stage",
    loader=ppa_owners,
    owners_are=PPA_OWNERS,
)
PPA_APPROVAL = Rule(
    "ppa.approval",
    "Move a PPA through approval (approved and enacted need an admin)",
    role=Role.MANAGER,
)
FUNDING_CREATE = Rule("funding.create", "Record a funding tranche", role=Role.MANAGER)
FUNDING_REVERSE = Rule("funding.reverse", "Reverse a funding tranche", role=Role.MANAGER)
CEILING_WRITE = Rule("ceiling.write", "Create or change a budget ceiling", role=Role.MANAGER)
ASSESSMENT_CREATE = Rule("assessment.create", "Create an assessment", role=Role.STAFF)
ASSESSMENT_WRITE = Rule.owned(
    "assessment.write",
    "Change or delete an assessment",
    loader=_assessment_owners,
    owners_are="its creator",
)
# Attaching takes reading the record; deleting a file takes its uploader, the record's owners
# or a manager.
PPA_ATTACHMENTS = attachment_rules(PPA_FILES, owners=ppa_owners, owners_are=PPA_OWNERS)
ASSESSMENT_ATTACHMENTS = attachment_rules(
    ASSESSMENT_FILES, owners=_assessment_owners, owners_are="the assessment's creator"
)
NEED_CREATE = Rule("need.create", "Record a need", role=Role.STAFF)
NEED_IMPORT = Rule("need.import", "Import needs from an Excel workbook", role=Role.MANAGER)
NEED_WRITE = Rule.owned(
    "need.write", "Change, link or delete a need", loader=_need_owners, owners_are="its creator"
)
NEED_RANK = Rule(
    "need.rank", "Set, move or clear a need's rank on the prioritisation board", role=Role.MANAGER
)

COMMENT_RULES = CommentRules.of(Comment)
EXPORT_RULES = export_job_rules(ExportJob)

RULES = (
    PPA_CREATE,
    PPA_IMPORT,
    PPA_UPDATE,
    PPA_DELETE,
    MILESTONE_WRITE,
    INDICATOR_WRITE,
    STATUS_UPDATE_CREATE,
    WORKFLOW_UPDATE,
    PPA_APPROVAL,
    FUNDING_CREATE,
    FUNDING_REVERSE,
    CEILING_WRITE,
    ASSESSMENT_CREATE,
    ASSESSMENT_WRITE,
    PPA_ATTACHMENTS.upload,
    PPA_ATTACHMENTS.delete,
    ASSESSMENT_ATTACHMENTS.upload,
    ASSESSMENT_ATTACHMENTS.delete,
    NEED_CREATE,
    NEED_IMPORT,
    NEED_WRITE,
    NEED_RANK,
    *COMMENT_RULES.all,
    EXPORT_RULES.request,
    EXPORT_RULES.read,
)
