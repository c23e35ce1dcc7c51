"""Mixins for the columns that the services' record tables all declare the same way.

Mixin columns land after a table's own columns in the models' metadata; the database's
column order is the migrations' and does not depend on it. `id` keeps its place first.
"""

from __future__ import annotations

import uuid
from typing import Any, ClassVar

from sqlalchemy import Integer, Uuid, text
from sqlalchemy.orm import Mapped, declared_attr, mapped_column


class Identified:
    """Mixin: a random UUID primary key, `id`."""

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4, sort_order=-1)


class Versioned:
    """Mixin: optimistic locking (a concurrent update of a stale copy fails instead of
    winning); `version` is the record's ETag and the If-Match a write checks."""

    # Some tables' migrations gave `version` a server default of 1; the model must say so too.
    version_server_default: ClassVar[bool] = False

    @declared_attr
    def version(cls) -> Mapped[int]:  # noqa: N805 (a declared_attr takes the class)
        server_default = text("1") if cls.version_server_default else None
        return mapped_column(Integer, default=1, server_default=server_default)

    # `eager_defaults`: what the server sets on a write (`updated_at`) comes back with the
    # statement (RETURNING), so the answer built after the commit reads nothing more from a
    # database that may be gone by then.
    @declared_attr.directive
    def __mapper_args__(cls) -> dict[str, Any]:  # noqa: N805 (a declared_attr takes the class)
        return {"version_id_col": cls.__table__.c.version, "eager_defaults": True}  # type: ignore[attr-defined]


class Authored:
    """Mixin: who created the record, and the user whose API write changed it last (null
    after an automatic change, from the bus)."""

    created_by: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    updated_by: Mapped[uuid.UUID | None] = mapped_column(Uuid)
