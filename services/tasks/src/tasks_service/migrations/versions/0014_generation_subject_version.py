"""template_generations.subject_version: the version of its record the generated tasks were
last dated from (an event's preparation tasks move with the event; an older announcement,
handled late, moves nothing)

A new nullable column. Expand-only: the previous release neither reads nor writes it.
"""

import sqlalchemy as sa
from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"


def upgrade() -> None:
    op.add_column("template_generations", sa.Column("subject_version", sa.Integer(), nullable=True))


def downgrade() -> None:
    op.drop_column("template_generations", "subject_version")
