"""Ship the product's task templates (DOMAIN.md), so a fresh install generates tasks.

The catalogue is frozen with this revision (seed/task_templates_v1.json); later catalogue
changes come as new revisions. Ids are derived from template names so the downgrade removes
exactly these templates.
"""

import json
import uuid
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from alembic import context, op

revision: str = "0002"
down_revision: str | None = "0001"

CATALOGUE = Path(__file__).resolve().parent.parent / "seed" / "task_templates_v1.json"
NAMESPACE = uuid.UUID("6f1c0d1e-8a5b-4f43-9b7a-0b5e3c1d2a10")

templates = sa.table(
    "task_templates",
    sa.column("id", sa.Uuid),
    sa.column("name", sa.String),
    sa.column("domain", sa.String),
    sa.column("description", sa.Text),
    sa.column("is_active", sa.Boolean),
)
items = sa.table(
    "task_template_items",
    sa.column("id", sa.Uuid),
    sa.column("template_id", sa.Uuid),
    sa.column("sequence", sa.Integer),
    sa.column("title", sa.String),
    sa.column("description", sa.Text),
    sa.column("priority", sa.String),
    sa.column("estimated_hours", sa.Numeric),
    sa.column("days_from_start", sa.Integer),
)


def _catalogue() -> list[dict[str, Any]]:
    catalogue: list[dict[str, Any]] = json.loads(CATALOGUE.read_text(encoding="utf-8"))
    return catalogue


def upgrade() -> None:
    # After a downgrade to 0001, a manager's own template may carry a catalogue name (one
    # deleted and re-created through the API, so with another id): keep it, skip ours.
    existing = (
        set()
        if context.is_offline_mode()
        else set(op.get_bind().scalars(sa.select(templates.c.name)))
    )
    template_rows, item_rows = [], []
    for template in _catalogue():
        if template["name"] in existing:
            continue
        template_id = uuid.uuid5(NAMESPACE, template["name"])
        template_rows.append(
            {
                "id": template_id,
                "name": template["name"],
                "domain": template["domain"],
                "description": template["description"],
                "is_active": True,
            }
        )
        for item in template["items"]:
            item_rows.append(
                {
                    "id": uuid.uuid5(template_id, str(item["sequence"])),
                    "template_id": template_id,
                    "sequence": item["sequence"],
                    "title": item["title"],
                    "description": item["description"],
                    "priority": item["priority"],
                    "estimated_hours": item["estimated_hours"],
                    "days_from_start": item["days_from_start"],
                }
            )
    op.bulk_insert(templates, template_rows)
    op.bulk_insert(items, item_rows)


def downgrade() -> None:
    ids = [uuid.uuid5(NAMESPACE, template["name"]) for template in _catalogue()]
    op.execute(templates.delete().where(templates.c.id.in_(ids)))
