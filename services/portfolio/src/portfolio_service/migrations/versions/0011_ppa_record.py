"""the original's PPA record: coverage (PSGC codes and their scope, communities), implementing
partner and MOA, beneficiaries targeted and reached, expenditure tags, SDGs, accomplishments
and challenges

Expand-only: every new column is nullable or has a server default (existing PPAs cover
nothing yet, have no tags and no SDGs), so the previous release, which ignores them, still
inserts PPAs.
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from obcms_platform.migration_ops import create_named_index, drop_columns, drop_indexes

revision: str = "0011"
down_revision: str | None = "0010"

EMPTY = sa.text("'{}'")
TEXT_COLUMNS = ("communities", "accomplishments", "challenges")
ARRAY_INDEXES = ("coverage_scope", "tags", "sdgs")


def upgrade() -> None:
    op.add_column(
        "ppas",
        sa.Column(
            "coverage", postgresql.ARRAY(sa.String(length=10)), server_default=EMPTY, nullable=False
        ),
    )
    op.add_column(
        "ppas",
        sa.Column(
            "coverage_scope",
            postgresql.ARRAY(sa.String(length=10)),
            server_default=EMPTY,
            nullable=False,
        ),
    )
    for name in TEXT_COLUMNS:
        op.add_column("ppas", sa.Column(name, sa.Text(), server_default="", nullable=False))
    for name in ("implementing_partner", "moa_reference"):
        op.add_column(
            "ppas", sa.Column(name, sa.String(length=255), server_default="", nullable=False)
        )
    op.add_column("ppas", sa.Column("moa_date", sa.Date(), nullable=True))
    for name in ("beneficiaries_targeted", "beneficiaries_reached"):
        op.add_column("ppas", sa.Column(name, sa.Integer(), nullable=True))
        op.create_check_constraint(op.f(f"ck_ppas__{name}"), "ppas", f"{name} >= 0")
    op.add_column(
        "ppas",
        sa.Column(
            "tags", postgresql.ARRAY(sa.String(length=16)), server_default=EMPTY, nullable=False
        ),
    )
    op.create_check_constraint(
        op.f("ck_ppas__tags"), "ppas", "tags <@ ARRAY['gad', 'ccet', 'ip', 'peace']::varchar[]"
    )
    op.add_column(
        "ppas",
        sa.Column(
            "sdgs", postgresql.ARRAY(sa.SmallInteger()), server_default=EMPTY, nullable=False
        ),
    )
    op.create_check_constraint(
        op.f("ck_ppas__sdgs"),
        "ppas",
        "sdgs <@ ARRAY[1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17]::smallint[]",
    )
    for column in ARRAY_INDEXES:
        create_named_index("ppas", column, [column], using="gin")


def downgrade() -> None:
    drop_indexes(*(f"ix_ppas__{column}" for column in ARRAY_INDEXES))
    drop_columns(
        "ppas",
        "sdgs",
        "tags",
        "beneficiaries_reached",
        "beneficiaries_targeted",
        "moa_date",
        "moa_reference",
        "implementing_partner",
        *TEXT_COLUMNS,
        "coverage_scope",
        "coverage",
    )
