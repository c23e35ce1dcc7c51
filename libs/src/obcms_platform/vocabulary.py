"""The domain's vocabulary: every enum of the services' records (DOMAIN.md), declared once.

The services store these values (their models import the classes from here; each column
names its own database type, so moving a class changes no schema) and the gateway offers
them as form choices, so neither keeps a copy that could drift. Labels for people are the
gateway's (`gateway_service.formatting`); the codes are these.
"""

from __future__ import annotations

from enum import StrEnum

# People's roles are identity's (`auth.tokens`); a service storing one (the notifications
# service's recipients) reads it here like every other stored code.
from obcms_platform.auth.tokens import Role as Role

# Tasks service.


class TaskStatus(StrEnum):
    """Where a task's work stands (the portfolio service's progress counts these too)."""

    NOT_STARTED = "not_started"
    IN_PROGRESS = "in_progress"
    AT_RISK = "at_risk"
    COMPLETED = "completed"


class TaskPriority(StrEnum):
    """How urgent a task is, lowest first."""

    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"
    CRITICAL = "critical"


class TaskDomain(StrEnum):
    """The area of OOBC's work a task (or a task template) belongs to."""

    GENERAL = "general"
    COMMUNITIES = "communities"
    MANA = "mana"
    COORDINATION = "coordination"
    MONITORING = "monitoring"
    POLICY = "policy"
    SERVICES = "services"
    MUNICIPAL = "municipal"
    DATA = "data"
    PROJECT_CENTRAL = "project_central"


class TeamRole(StrEnum):
    """A member's role in a team."""

    LEAD = "lead"
    COORDINATOR = "coordinator"
    MEMBER = "member"


class SubjectKind(StrEnum):
    """What a generated task set hangs off; decides the `related_*_id` it fills."""

    PPA = "ppa"
    ASSESSMENT = "assessment"
    EVENT = "event"


# The placeholders a task template's titles and descriptions may hold: each becomes the title
# of the record (a PPA, an assessment, an event) its tasks are made for, or this word when
# the record gives none.
TEMPLATE_PLACEHOLDERS: dict[str, str] = {
    "ppa_title": "PPA",
    "assessment_title": "assessment",
    "event_title": "event",
}


# Portfolio service.


class PpaCategory(StrEnum):
    """Whose PPA it is: OOBC's own, another ministry's, or a community's request."""

    OOBC_PPA = "oobc_ppa"
    MOA_PPA = "moa_ppa"
    OBC_REQUEST = "obc_request"


class PpaStatus(StrEnum):
    """Where a PPA's implementation stands."""

    PLANNING = "planning"
    ONGOING = "ongoing"
    COMPLETED = "completed"
    ON_HOLD = "on_hold"
    CANCELLED = "cancelled"


class PpaPriority(StrEnum):
    """How urgent a PPA is, lowest first."""

    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"
    URGENT = "urgent"


class Sector(StrEnum):
    """The sector a PPA serves (budget ceilings are per sector)."""

    ECONOMIC = "economic"
    SOCIAL = "social"
    INFRASTRUCTURE = "infrastructure"
    ENVIRONMENT = "environment"
    GOVERNANCE = "governance"
    PEACE_SECURITY = "peace_security"


# The dashboard's row of PPAs without a sector (a count only: no list filter selects them).
UNSPECIFIED_SECTOR = "unspecified"


class AppropriationClass(StrEnum):
    """The budget class of a PPA's appropriation (personnel, operating, capital)."""

    PS = "ps"
    MOOE = "mooe"
    CO = "co"


class FundingSource(StrEnum):
    """Where a PPA's money comes from."""

    GAA = "gaa"
    BLOCK_GRANT = "block_grant"
    LGU_COUNTERPART = "lgu_counterpart"
    DONOR = "donor"
    INTERNAL = "internal"
    OTHERS = "others"


class CeilingEnforcement(StrEnum):
    """What a budget ceiling does to a PPA that would take its commitments over it."""

    HARD = "hard"  # refused
    SOFT = "soft"  # allowed, and flagged for the approvers


class ApprovalStatus(StrEnum):
    """A PPA's place in the approval workflow (DOMAIN.md names the moves)."""

    DRAFT = "draft"
    TECHNICAL_REVIEW = "technical_review"
    BUDGET_REVIEW = "budget_review"
    STAKEHOLDER_CONSULTATION = "stakeholder_consultation"
    EXECUTIVE_APPROVAL = "executive_approval"
    APPROVED = "approved"
    ENACTED = "enacted"
    REJECTED = "rejected"


class PpaTag(StrEnum):
    """The expenditure tags of a PPA (the original's compliance flags): gender and
    development, climate change expenditure, Indigenous Peoples, the peace agenda."""

    GAD = "gad"
    CCET = "ccet"
    IP = "ip"
    PEACE = "peace"


# The 17 Sustainable Development Goals (United Nations, 2015) a PPA may contribute to, by
# number: PPAs store the numbers, pages say the names.
SUSTAINABLE_DEVELOPMENT_GOALS: dict[int, str] = {
    1: "No poverty",
    2: "Zero hunger",
    3: "Good health and well-being",
    4: "Quality education",
    5: "Gender equality",
    6: "Clean water and sanitation",
    7: "Affordable and clean energy",
    8: "Decent work and economic growth",
    9: "Industry, innovation and infrastructure",
    10: "Reduced inequalities",
    11: "Sustainable cities and communities",
    12: "Responsible consumption and production",
    13: "Climate action",
    14: "Life below water",
    15: "Life on land",
    16: "Peace, justice and strong institutions",
    17: "Partnerships for the goals",
}


class AreaLevel(StrEnum):
    """The level of a PSGC area (`obcms_platform.psgc`), widest first."""

    REGION = "region"
    PROVINCE = "province"
    CITY_MUNICIPALITY = "city_municipality"
    SUBMUNICIPALITY = "submunicipality"
    BARANGAY = "barangay"


class MilestoneStatus(StrEnum):
    """Where a PPA's milestone stands."""

    PLANNED = "planned"
    COMPLETED = "completed"
    DELAYED = "delayed"
    AT_RISK = "at_risk"
    BLOCKED = "blocked"
    CANCELLED = "cancelled"


class BudgetStage(StrEnum):
    """The stages in their order (budget call first, accountability last)."""

    BUDGET_CALL = "budget_call"
    FORMULATION = "formulation"
    TECHNICAL_HEARING = "technical_hearing"
    LEGISLATION = "legislation"
    EXECUTION = "execution"
    ACCOUNTABILITY = "accountability"


class StageStatus(StrEnum):
    """Where one budget workflow stage of a PPA stands."""

    NOT_STARTED = "not_started"
    IN_PROGRESS = "in_progress"
    COMPLETED = "completed"
    BLOCKED = "blocked"


class TrancheType(StrEnum):
    """What a funding tranche records."""

    ALLOCATION = "allocation"
    OBLIGATION = "obligation"
    DISBURSEMENT = "disbursement"
    ADJUSTMENT = "adjustment"  # corrects the allocated amount; may be negative


class IndicatorKind(StrEnum):
    """What a PPA's indicator measures: its outputs (what it delivers) or outcomes (the change
    they bring)."""

    OUTPUT = "output"
    OUTCOME = "outcome"


class IndicatorStatus(StrEnum):
    """Where an indicator stands: its attainment at its latest actual against the share of
    the time to its target date elapsed by then (`indicators.service`), or no attainment to
    measure (no actual yet, or a target equal to the baseline)."""

    ON_TRACK = "on_track"
    BEHIND = "behind"
    NO_DATA = "no_data"


class Methodology(StrEnum):
    """How a MANA assessment gathers its data."""

    DESK_REVIEW = "desk_review"
    SURVEY = "survey"
    KII = "kii"
    WORKSHOP = "workshop"
    PARTICIPATORY = "participatory"
    OBSERVATION = "observation"
    MIXED = "mixed"
    OTHER = "other"


class AssessmentStatus(StrEnum):
    """Where a MANA assessment stands, in the order of its work."""

    PLANNING = "planning"
    PREPARATION = "preparation"
    DATA_COLLECTION = "data_collection"
    ANALYSIS = "analysis"
    REPORTING = "reporting"
    COMPLETED = "completed"
    CANCELLED = "cancelled"


class AssessmentLevel(StrEnum):
    """The administrative level an assessment covers, widest first."""

    REGIONAL = "regional"
    PROVINCIAL = "provincial"
    CITY_MUNICIPAL = "city_municipal"
    BARANGAY = "barangay"
    COMMUNITY = "community"


class NeedStatus(StrEnum):
    """Where a community need stands, from found to met (or set aside)."""

    IDENTIFIED = "identified"
    VALIDATED = "validated"
    PRIORITIZED = "prioritized"
    PLANNED = "planned"
    IN_PROGRESS = "in_progress"
    COMPLETED = "completed"
    DEFERRED = "deferred"
    REJECTED = "rejected"


class UrgencyLevel(StrEnum):
    """How soon a need must be met."""

    IMMEDIATE = "immediate"
    SHORT_TERM = "short_term"
    MEDIUM_TERM = "medium_term"
    LONG_TERM = "long_term"


class Feasibility(StrEnum):
    """How feasible meeting a need is, lowest first."""

    VERY_LOW = "very_low"
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"
    VERY_HIGH = "very_high"


# Calendar service.


class EventType(StrEnum):
    """What kind of gathering a calendar event is."""

    MEETING = "meeting"
    CONSULTATION = "consultation"
    COURTESY_CALL = "courtesy_call"
    WORKSHOP = "workshop"
    FORUM = "forum"
    CONFERENCE = "conference"
    SEMINAR = "seminar"
    FIELD_VISIT = "field_visit"
    ASSESSMENT = "assessment"
    VALIDATION = "validation"
    ORIENTATION = "orientation"
    BRIEFING = "briefing"
    PLANNING = "planning"
    REVIEW = "review"
    OTHER = "other"


class EventStatus(StrEnum):
    """Where a calendar event stands."""

    DRAFT = "draft"
    PLANNED = "planned"
    SCHEDULED = "scheduled"
    CONFIRMED = "confirmed"
    IN_PROGRESS = "in_progress"
    COMPLETED = "completed"
    CANCELLED = "cancelled"
    POSTPONED = "postponed"
    RESCHEDULED = "rescheduled"


class Frequency(StrEnum):
    """How often a recurring event repeats (RFC 5545 FREQ)."""

    DAILY = "daily"
    WEEKLY = "weekly"
    MONTHLY = "monthly"
    YEARLY = "yearly"


class ResourceType(StrEnum):
    """What kind of bookable resource it is."""

    VEHICLE = "vehicle"
    EQUIPMENT = "equipment"
    ROOM = "room"
    FACILITATOR = "facilitator"


class BookingStatus(StrEnum):
    """Where a resource booking stands (pending and approved ones hold the resource)."""

    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"
    CANCELLED = "cancelled"


class LeaveType(StrEnum):
    """Why a person is away."""

    VACATION = "vacation"
    SICK = "sick"
    EMERGENCY = "emergency"
    OFFICIAL = "official"


class LeaveStatus(StrEnum):
    """Where a leave request stands."""

    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"


# Notifications service.


class NotificationChannel(StrEnum):
    """How one kind of notification reaches a person."""

    BOTH = "both"  # in the inbox and by email at once
    IN_APP = "in_app"  # in the inbox only
    EMAIL = "email"  # by email only
    DIGEST = "digest"  # in the inbox, and by email in the daily digest
    OFF = "off"


class NotificationKind(StrEnum):
    """What a person is notified of (each with its label and default channel in the
    notifications service's `kinds.py`)."""

    TASK_ASSIGNED = "task_assigned"
    TASK_DUE_CHANGED = "task_due_changed"
    TASKS_GENERATED = "tasks_generated"
    TASK_DUE_SOON = "task_due_soon"
    TASK_DUE_TODAY = "task_due_today"
    TASK_OVERDUE = "task_overdue"
    TASK_COMPLETED = "task_completed"
    LEAVE_DECIDED = "leave_decided"
    BOOKING_DECIDED = "booking_decided"
    DECISION_NEEDED = "decision_needed"
    APPROVAL_MOVED = "approval_moved"
    EVENT_INVITED = "event_invited"
    EVENT_CHANGED = "event_changed"
    EVENT_CANCELLED = "event_cancelled"
    EVENT_REMINDER = "event_reminder"
    MANAGER_QUEUE = "manager_queue"
    MENTIONED = "mentioned"
    EXPORT_READY = "export_ready"
    EXPORT_FAILED = "export_failed"


class ExportFormat(StrEnum):
    """What a list route answers: its page as JSON, or every matching row as a file."""

    JSON = "json"
    CSV = "csv"
    XLSX = "xlsx"


class ExportJobStatus(StrEnum):
    """Where a background export (`obcms_platform.export_jobs`) stands."""

    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


class EmailState(StrEnum):
    """Where an outgoing email stands."""

    PENDING = "pending"
    SENT = "sent"
    FAILED = "failed"  # given up after the last attempt


def values(enum_class: type[StrEnum]) -> tuple[str, ...]:
    """The codes of `enum_class`, in its declared order (form choices, filters)."""
    return tuple(member.value for member in enum_class)
