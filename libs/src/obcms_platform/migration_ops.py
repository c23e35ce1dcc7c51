"""Column factories and Alembic operations that the services' migrations share.

Append-only: a released migration calls these, so a helper's output is never changed once a
migration uses it; a different schema gets a new helper, called from a new migration. Chosen
over version suffixes in the names because every helper here is a first version.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql


def enum_column(name: str, *values: str, nullable: bool = False) -> sa.Column[Any]:
    """VARCHAR(32) with a CHECK of `values` named after the column (`db.enum_column`'s type)."""
    return sa.Column(
        name,
        sa.Enum(*values, name=name, native_enum=False, create_constraint=True, length=32),
        nullable=nullable,
    )


def timestamp_column(name: str) -> sa.Column[Any]:
    """NOT NULL timestamptz that the server sets to now() on insert."""
    return sa.Column(
        name, sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False
    )


def timestamp_columns() -> tuple[sa.Column[Any], sa.Column[Any]]:
    """created_at and updated_at (`db.Timestamped`)."""
    return timestamp_column("created_at"), timestamp_column("updated_at")


def uuid_array_column(name: str) -> sa.Column[Any]:
    """NOT NULL uuid[] that starts empty."""
    return sa.Column(
        name, postgresql.ARRAY(sa.Uuid()), server_default=sa.text("'{}'"), nullable=False
    )


def primary_key(table: str, *columns: str) -> sa.PrimaryKeyConstraint:
    """Primary key `pk_<table>` of `columns`."""
    return sa.PrimaryKeyConstraint(*columns, name=op.f(f"pk_{table}"))


def unique_constraint(table: str, *columns: str) -> sa.UniqueConstraint:
    """Unique constraint `uq_<table>__<columns joined by _>`."""
    return sa.UniqueConstraint(*columns, name=op.f(f"uq_{table}__{'_'.join(columns)}"))


def foreign_key(table: str, column: str, target: str, *, ondelete: str) -> sa.ForeignKeyConstraint:
    """Foreign key `fk_<table>__<column>` from `column` to `<target>.id`."""
    return sa.ForeignKeyConstraint(
        [column], [f"{target}.id"], name=op.f(f"fk_{table}__{column}"), ondelete=ondelete
    )


def create_indexes(table: str, *keys: str | tuple[str, ...]) -> None:
    """Plain btree indexes, one per key (a column or a tuple of them), named
    `ix_<table>__<columns joined by _>`."""
    for key in keys:
        columns = [key] if isinstance(key, str) else list(key)
        op.create_index(f"ix_{table}__{'_'.join(columns)}", table, columns, unique=False)


def create_trigram_index(table: str, column: str) -> None:
    """GIN trigram index `ix_<table>__<column>_trgm` (the `q` text filter; needs pg_trgm)."""
    op.create_index(
        f"ix_{table}__{column}_trgm",
        table,
        [column],
        unique=False,
        postgresql_using="gin",
        postgresql_ops={column: "gin_trgm_ops"},
    )


def create_set_values_index(table: str, column: str) -> None:
    """Index `ix_<table>__<column>` of the rows where `column` is not null."""
    create_named_index(table, column, [column], where=f"{column} IS NOT NULL")


def drop_indexes(*names: str) -> None:
    """Drop indexes in the order given (PostgreSQL's DROP INDEX needs only their names)."""
    for name in names:
        op.drop_index(name)


def drop_tables(*names: str) -> None:
    """Drop tables, with their indexes and constraints, in the order given."""
    for name in names:
        op.drop_table(name)


def add_version_column(table: str) -> None:
    """Row version for ETags and If-Match; existing rows start at 1."""
    op.add_column(
        table, sa.Column("version", sa.Integer(), server_default=sa.text("1"), nullable=False)
    )


def add_updated_by_column(table: str) -> None:
    """Who changed a row last; existing rows count their creator."""
    op.add_column(table, sa.Column("updated_by", sa.Uuid(), nullable=True))
    op.execute(f"UPDATE {table} SET updated_by = created_by")


def id_column() -> sa.Column[Any]:
    """NOT NULL uuid `id`, a table's key (`columns.Identified`)."""
    return sa.Column("id", sa.Uuid(), nullable=False)


def versioned_columns(*, authored: bool) -> tuple[sa.Column[Any], ...]:
    """The tail of a record edited with If-Match: created_by (if `authored`), a NOT NULL
    version without default, created_at and updated_at (`columns.Authored`, `Versioned`)."""
    author = (sa.Column("created_by", sa.Uuid(), nullable=True),) if authored else ()
    return (
        *author,
        sa.Column("version", sa.Integer(), nullable=False),
        *timestamp_columns(),
    )


def range_column(name: str, expression: str) -> sa.Column[Any]:
    """NOT NULL tstzrange that PostgreSQL computes and stores from `expression`."""
    return sa.Column(
        name, postgresql.TSTZRANGE(), sa.Computed(expression, persisted=True), nullable=False
    )


def create_named_index(
    table: str,
    label: str,
    columns: Sequence[str],
    *,
    where: str | None = None,
    using: str | None = None,
    unique: bool = False,
) -> None:
    """Index `ix_<table>__<label>` (`uq_…` if `unique`) of `columns`: partial if `where`,
    of access method `using` (btree if None)."""
    op.create_index(
        f"{'uq' if unique else 'ix'}_{table}__{label}",
        table,
        list(columns),
        unique=unique,
        postgresql_using=using,
        postgresql_where=sa.text(where) if where else None,
    )


def user_identity_columns() -> tuple[sa.Column[Any], ...]:
    """username, full_name and email, as a user account (and its copies) names a person."""
    return (
        sa.Column("username", sa.String(length=150), nullable=False),
        sa.Column("full_name", sa.String(length=300), nullable=False),
        sa.Column("email", sa.String(length=320), nullable=True),
    )


def add_unique_constraint(table: str, *columns: str) -> None:
    """Add `unique_constraint(table, *columns)` to an existing table."""
    op.create_unique_constraint(op.f(f"uq_{table}__{'_'.join(columns)}"), table, list(columns))


def drop_unique_constraint(table: str, *columns: str) -> None:
    """Drop what `add_unique_constraint` added."""
    op.drop_constraint(op.f(f"uq_{table}__{'_'.join(columns)}"), table, type_="unique")


def drop_columns(table: str, *names: str) -> None:
    """Drop columns of `table` in the order given."""
    for name in names:
        op.drop_column(table, name)


def create_history_table() -> None:
    """`history.history_table`'s `record_history`, append-only: a trigger refuses every UPDATE,
    DELETE and TRUNCATE of it."""
    op.create_table(
        "record_history",
        sa.Column("seq", sa.BigInteger(), sa.Identity(always=True), nullable=False),
        sa.Column("record_type", sa.String(length=50), nullable=False),
        sa.Column("record_id", sa.Uuid(), nullable=False),
        sa.Column("record_version", sa.Integer(), nullable=True),
        sa.Column("action", sa.String(length=20), nullable=False),
        sa.Column("actor_id", sa.Uuid(), nullable=True),
        sa.Column("cause", sa.Text(), nullable=True),
        sa.Column("changes", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column(
            "at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False
        ),
        sa.PrimaryKeyConstraint("seq", name=op.f("pk_record_history")),
    )
    op.create_index(
        "ix_record_history__record", "record_history", ["record_type", "record_id", "at"]
    )
    op.create_index("ix_record_history__at", "record_history", ["at"])
    op.execute(
        "CREATE FUNCTION record_history_append_only() RETURNS trigger LANGUAGE plpgsql AS $$"
        " BEGIN RAISE EXCEPTION 'record_history is append-only: % refused', TG_OP"
        " USING ERRCODE = 'insufficient_privilege'; END $$"
    )
    op.execute(
        "CREATE TRIGGER record_history_append_only BEFORE UPDATE OR DELETE ON record_history"
        " FOR EACH ROW EXECUTE FUNCTION record_history_append_only()"
    )
    op.execute(
        "CREATE TRIGGER record_history_no_truncate BEFORE TRUNCATE ON record_history"
        " FOR EACH STATEMENT EXECUTE FUNCTION record_history_append_only()"
    )


def drop_history_table() -> None:
    """Drop what `create_history_table` created."""
    op.drop_table("record_history")
    op.execute("DROP FUNCTION record_history_append_only()")


def create_comments_table() -> None:
    """`comments.CommentColumns`' `comments` table, listed by record in time order."""
    op.create_table(
        "comments",
        id_column(),
        sa.Column("record_type", sa.String(length=20), nullable=False),
        sa.Column("record_id", sa.Uuid(), nullable=False),
        sa.Column("author_id", sa.Uuid(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        uuid_array_column("mention_ids"),
        timestamp_column("created_at"),
        sa.Column("edited_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("deleted_by", sa.Uuid(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        primary_key("comments", "id"),
    )
    create_indexes("comments", ("record_type", "record_id", "created_at"))


def drop_comments_table() -> None:
    """Drop what `create_comments_table` created."""
    op.drop_table("comments")


def create_people_table() -> None:
    """`people.PersonColumns`' `people` table: the accounts as the gateway announced them."""
    op.create_table(
        "people",
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("username", sa.String(length=150), nullable=False),
        sa.Column("full_name", sa.String(length=300), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("source_version", sa.Integer(), nullable=False),
        primary_key("people", "user_id"),
    )


def drop_people_table() -> None:
    """Drop what `create_people_table` created."""
    op.drop_table("people")


def replace_enum_values(table: str, column: str, *values: str) -> None:
    """Let `enum_column` `column` of `table` hold exactly `values` (its CHECK replaced)."""
    name = op.f(f"ck_{table}__{column}")
    op.drop_constraint(name, table, type_="check")
    op.create_check_constraint(name, table, sa.column(column).in_(values))


def add_enum_value(tables: Sequence[str], column: str, values: Sequence[str], new: str) -> None:
    """Let `column` of each of `tables` hold `new` besides `values` (the upgrade of a new
    kind: expand-only, the previous release never writes it)."""
    for table in tables:
        replace_enum_values(table, column, *values, new)


def remove_enum_value(
    tables: Sequence[str], column: str, values: Sequence[str], added: str
) -> None:
    """Undo `add_enum_value`: the rows holding `added`, which the previous release could not
    read, are deleted, and `column` holds `values` again."""
    for table in tables:
        rows = sa.table(table, sa.column(column))
        op.execute(sa.delete(rows).where(rows.c[column] == added))
        replace_enum_values(table, column, *values)


def create_attachments_table() -> None:
    """`attachments.AttachmentColumns`' table: the files attached to a service's records
    (the files themselves are in `storage`)."""
    op.create_table(
        "attachments",
        id_column(),
        sa.Column("record_type", sa.String(length=50), nullable=False),
        sa.Column("record_id", sa.Uuid(), nullable=False),
        sa.Column("filename", sa.String(length=255), nullable=False),
        sa.Column("content_type", sa.String(length=255), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("storage_key", sa.String(length=500), nullable=False),
        sa.Column("uploaded_by", sa.Uuid(), nullable=False),
        timestamp_column("uploaded_at"),
        primary_key("attachments", "id"),
        unique_constraint("attachments", "storage_key"),
    )
    create_indexes("attachments", ("record_type", "record_id"))


def drop_attachments_table() -> None:
    """Drop what `create_attachments_table` created."""
    op.drop_table("attachments")


def create_export_jobs_table() -> None:
    """`export_jobs.ExportJobColumns`' table: the background exports of a service's lists
    (their files are in `storage`)."""
    op.create_table(
        "export_jobs",
        id_column(),
        sa.Column("resource", sa.String(length=50), nullable=False),
        enum_column("format", "json", "csv", "xlsx"),
        sa.Column("filters", postgresql.JSONB(), nullable=False),
        sa.Column("requested_by", sa.Uuid(), nullable=False),
        sa.Column("requester_roles", postgresql.ARRAY(sa.String(length=32)), nullable=False),
        enum_column("status", "queued", "running", "done", "failed"),
        sa.Column("rows_total", sa.Integer(), nullable=True),
        sa.Column("rows_done", sa.Integer(), nullable=False),
        sa.Column("storage_key", sa.String(length=500), nullable=True),
        sa.Column("size", sa.BigInteger(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("claimed_by", sa.String(length=100), nullable=True),
        sa.Column("lease_expires_at", sa.DateTime(timezone=True), nullable=True),
        timestamp_column("created_at"),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True),
        primary_key("export_jobs", "id"),
    )
    create_indexes("export_jobs", ("requested_by", "created_at"), "expires_at")


def add_export_job_time_zone() -> None:
    """``export_jobs.requester_time_zone``: the zone a background export writes its moments
    and names its file in (a new nullable column: expand-only, the previous release neither
    reads nor writes it)."""
    op.add_column(
        "export_jobs", sa.Column("requester_time_zone", sa.String(length=64), nullable=True)
    )


def drop_export_job_time_zone() -> None:
    """Drop what `add_export_job_time_zone` added."""
    op.drop_column("export_jobs", "requester_time_zone")


def drop_export_jobs_table() -> None:
    """Drop what `create_export_jobs_table` created."""
    op.drop_table("export_jobs")
