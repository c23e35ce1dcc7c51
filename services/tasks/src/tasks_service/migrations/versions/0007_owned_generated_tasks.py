"""owned generated tasks: assign the template tasks nobody holds to their PPA's owners

Template tasks are now assigned to their record's owner when generated (a PPA's lead, else its
creator). This assigns the ones generated before, as far as this service knows the owner:

- PPA tasks: the `ppa_owners` projection holds a PPA's owners (creator, lead and members, as
  one set: the lead is not told apart there), so every one of them is assigned. They are the
  people who may already work the task; none of them is picked over the others by guessing.
- Assessment and calendar-event tasks: this service holds nothing about their owners, so they
  stay unassigned (managers' work, as before); assign them in the task list's bulk change.
- Approval review tasks (no template) stay unassigned: reviewing is managers' work.

Only tasks with no assignee and no team change; each gets a new version (so an edit begun
before the upgrade is told the task changed). No task.updated events are sent: the tasks are
generated, and no consumer of task events keeps their assignees.

Downgrade leaves the assignments in place: after the upgrade people may have kept or changed
them, and they are valid data for the previous release too.
"""

from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"


def upgrade() -> None:
    op.execute(
        """
        UPDATE tasks AS t
        SET assignee_ids = o.owner_ids, version = t.version + 1, updated_at = now()
        FROM ppa_owners AS o
        WHERE o.ppa_id = t.related_ppa_id
          AND cardinality(o.owner_ids) > 0
          AND t.auto_generated
          AND t.created_from_template IS NOT NULL
          AND cardinality(t.assignee_ids) = 0
          AND cardinality(t.team_ids) = 0
        """
    )


def downgrade() -> None:
    pass
