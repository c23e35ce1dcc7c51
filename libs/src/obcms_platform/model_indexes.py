"""Indexes the services' models declare the same way (their migrations create them with
`obcms_platform.migration_ops`, under the same names)."""

from __future__ import annotations

from sqlalchemy import Index


def trigram_index(table: str, column: str) -> Index:
    """GIN trigram index `ix_<table>__<column>_trgm` on `column` (the `q` text filter)."""
    return Index(
        f"ix_{table}__{column}_trgm",
        column,
        postgresql_using="gin",
        postgresql_ops={column: "gin_trgm_ops"},
    )
