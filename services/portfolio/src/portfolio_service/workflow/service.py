"""Budget workflow stages of a PPA. Functions take a session and never commit.

Every PPA has the six stages, in order, from its creation. A stage cannot be completed
before the one before it; for the same reason a completed stage cannot be reopened while
the one after it is completed.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from obcms_platform.contracts import WORKFLOW_STAGE_CHANGED, WorkflowStageChanged
from obcms_platform.errors import ConflictError, NotFoundError
from obcms_platform.history import Action, RecordChange, because
from obcms_platform.records import apply_changes, check_version
from portfolio_service.db import history, outbox
from portfolio_service.ppas.models import Ppa
from portfolio_service.workflow.models import (
    STAGE_ORDER,
    BudgetStage,
    StageStatus,
    WorkflowStage,
)
from portfolio_service.workflow.schemas import StageUpdate


def create_stages(session: Session, ppa_id: uuid.UUID) -> None:
    """The PPA's six stages, in one statement (their history entries said explicitly)."""
    ids = {stage: uuid.uuid4() for stage in STAGE_ORDER}
    session.execute(
        insert(WorkflowStage),
        [
            {"id": ids[stage], "ppa_id": ppa_id, "stage": stage, "sequence": sequence}
            for stage, sequence in STAGE_ORDER.items()
        ],
    )
    with because(session, "created with the PPA"):
        history.add(
            session,
            WorkflowStage,
            [
                RecordChange(
                    ids[stage],
                    1,
                    {
                        "stage": (None, stage),
                        "sequence": (None, sequence),
                        "status": (None, StageStatus.NOT_STARTED),
                    },
                )
                for stage, sequence in STAGE_ORDER.items()
            ],
            Action.CREATED,
        )


def list_stages(session: Session, ppa_id: uuid.UUID) -> list[WorkflowStage]:
    return _stages(session, ppa_id, for_update=False)


def update_stage(
    session: Session,
    ppa_id: uuid.UUID,
    stage: BudgetStage,
    changes: StageUpdate,
    expected_version: int | None = None,
) -> WorkflowStage:
    """Change a stage (at `expected_version`, If-Match: 412 when a colleague changed it)."""
    by_sequence = {row.sequence: row for row in _stages(session, ppa_id, for_update=True)}
    sequence = STAGE_ORDER[stage]
    row = by_sequence.get(sequence)
    if row is None:
        raise NotFoundError("workflow stage", f"{stage.value} of PPA {ppa_id}")
    check_version(row, row.id, expected_version, what=f"the {stage.value} stage")
    values = changes.changes()
    new_status = values.get("status", row.status)
    if new_status is StageStatus.COMPLETED and row.status is not StageStatus.COMPLETED:
        previous = by_sequence.get(sequence - 1)
        if previous is not None and previous.status is not StageStatus.COMPLETED:
            raise ConflictError(
                f"status: {stage.value} cannot be completed before {previous.stage.value} "
                f"is completed (it is {previous.status.value})",
                field="status",
            )
    if new_status is not StageStatus.COMPLETED and row.status is StageStatus.COMPLETED:
        following = by_sequence.get(sequence + 1)
        if following is not None and following.status is StageStatus.COMPLETED:
            raise ConflictError(
                f"status: {stage.value} cannot be reopened while {following.stage.value} "
                "is completed",
                field="status",
            )
    apply_changes(row, values)
    if row.status is StageStatus.COMPLETED:
        row.completed_at = row.completed_at or datetime.now(UTC)
    else:
        row.completed_at = None
    session.flush()
    outbox.add(
        session,
        WORKFLOW_STAGE_CHANGED,
        WorkflowStageChanged.of_record(row),
        subject_id=row.id,
    )
    return row


def _stages(session: Session, ppa_id: uuid.UUID, *, for_update: bool) -> list[WorkflowStage]:
    """The PPA's stages in order (locked for writing: changes of one PPA queue)."""
    if session.scalar(select(Ppa.id).where(Ppa.id == ppa_id)) is None:
        raise NotFoundError("PPA", ppa_id)
    statement = (
        select(WorkflowStage).where(WorkflowStage.ppa_id == ppa_id).order_by(WorkflowStage.sequence)
    )
    if for_update:
        statement = statement.with_for_update()
    return list(session.scalars(statement))
