"""ppa_owners.title: what each PPA is called, as the portfolio announced it (task exports name
a task's PPA by it)

A new nullable column. Expand-only: the previous release neither reads nor writes it. PPAs
announced before this release get their title by their next ppa.updated, or all at once by
`obcms-portfolio ppas announce` after the upgrade; until then an export names them by id.
(`obcms-portfolio bus republish` does not fill them: the tasks worker's inbox skips the
events it has already handled.)
"""

import sqlalchemy as sa
from alembic import op

revision: str = "0016"
down_revision: str | None = "0015"


def upgrade() -> None:
    op.add_column("ppa_owners", sa.Column("title", sa.Text(), nullable=True))


def downgrade() -> None:
    op.drop_column("ppa_owners", "title")
