"""funding reversals: a tranche may name the tranche it reverses (`reverses_id`) and why
(`reason`); a reversal carries the opposite, negative, amount

Expand-only: the previous release ignores the new columns and never writes a reversal. Going
down deletes each reversal with the tranche it reverses (the previous release could hold
neither a negative obligation or disbursement nor the link), which leaves every total as it
was.
"""

import sqlalchemy as sa
from alembic import op

from obcms_platform.migration_ops import add_unique_constraint, drop_unique_constraint

revision: str = "0010"
down_revision: str | None = "0009"

TABLE = "funding_tranches"
AMOUNT_BEFORE = "amount > 0 OR (tranche_type = 'adjustment' AND amount <> 0)"
AMOUNT_WITH_REVERSALS = f"{AMOUNT_BEFORE} OR (reverses_id IS NOT NULL AND amount < 0)"


def upgrade() -> None:
    op.add_column(TABLE, sa.Column("reverses_id", sa.Uuid(), nullable=True))
    op.add_column(TABLE, sa.Column("reason", sa.Text(), server_default="", nullable=False))
    op.alter_column(TABLE, "reason", server_default=None)
    op.create_foreign_key(
        op.f(f"fk_{TABLE}__reverses_id"),
        TABLE,
        TABLE,
        ["reverses_id"],
        ["id"],
        ondelete="CASCADE",
    )
    add_unique_constraint(TABLE, "reverses_id")
    op.drop_constraint(op.f(f"ck_{TABLE}__amount"), TABLE, type_="check")
    op.create_check_constraint(op.f(f"ck_{TABLE}__amount"), TABLE, AMOUNT_WITH_REVERSALS)
    op.create_check_constraint(
        op.f(f"ck_{TABLE}__reason"), TABLE, "reverses_id IS NULL OR reason <> ''"
    )


def downgrade() -> None:
    op.execute(
        f"DELETE FROM {TABLE} WHERE reverses_id IS NOT NULL"
        f" OR id IN (SELECT reverses_id FROM {TABLE} WHERE reverses_id IS NOT NULL)"
    )
    op.drop_constraint(op.f(f"ck_{TABLE}__reason"), TABLE, type_="check")
    op.drop_constraint(op.f(f"ck_{TABLE}__amount"), TABLE, type_="check")
    op.create_check_constraint(op.f(f"ck_{TABLE}__amount"), TABLE, AMOUNT_BEFORE)
    drop_unique_constraint(TABLE, "reverses_id")
    op.drop_constraint(op.f(f"fk_{TABLE}__reverses_id"), TABLE, type_="foreignkey")
    op.drop_column(TABLE, "reason")
    op.drop_column(TABLE, "reverses_id")
