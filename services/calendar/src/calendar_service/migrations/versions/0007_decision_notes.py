"""decision notes: what a manager says with an approval or rejection of leave or a booking,
kept apart from the requester's reason or notes (the requester is told it)

Two nullable columns. Expand-only: the previous release neither reads nor writes them.
"""

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"

TABLES = ("staff_leaves", "bookings")


def upgrade() -> None:
    for table in TABLES:
        op.add_column(table, sa.Column("decision_note", sa.Text(), nullable=True))


def downgrade() -> None:
    for table in TABLES:
        op.drop_column(table, "decision_note")
