"""watched_ppas.as_of: when the portfolio announced the PPA as kept, so that an older
announcement handled late (`obcms-portfolio ppas announce`'s, after a later change) is ignored

A new nullable column. Expand-only: the previous release neither reads nor writes it; a PPA
kept before has none until its next announcement.
"""

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"


def upgrade() -> None:
    op.add_column("watched_ppas", sa.Column("as_of", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    op.drop_column("watched_ppas", "as_of")
