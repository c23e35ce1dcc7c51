"""single events' recurrence as SQL NULL, not JSON null

The `recurrence` column stored JSON ``null`` for an event without one (SQLAlchemy's default
for a JSON column), so ``recurrence IS NULL`` matched no event: the events list's `recurring`
filter answered no event for ``false`` and every event for ``true``, and the
``single_event_span`` check held for every row whatever its span. The model now writes SQL
NULL; this turns the rows written before into it (the check then holds them to their span:
the service always wrote a single event's span as its own time).

Downgrade leaves SQL NULL in place: the previous release reads it as no recurrence too.
"""

from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"


def upgrade() -> None:
    op.execute("UPDATE events SET recurrence = NULL WHERE jsonb_typeof(recurrence) = 'null'")


def downgrade() -> None:
    pass
