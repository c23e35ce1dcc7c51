"""The `q` list filter: case-insensitive substring match, backed by trigram indexes."""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, or_


def _escape_like(value: str) -> str:
    return value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def text_matches(q: str, *columns: Any) -> ColumnElement[bool]:
    """`q` appears in any of `columns` (LIKE wildcards in `q` are taken literally)."""
    pattern = f"%{_escape_like(q)}%"
    return or_(*(column.ilike(pattern, escape="\\") for column in columns))
