"""task feed entries: each dated task's calendar feed entry, written when the row is

A stored generated column (`tasks_service.tasks.models.FEED_ENTRY`) and the immutable
functions it calls. Expand-only: the previous release neither reads nor writes it (adding it
rewrites the table once).
"""

import sqlalchemy as sa
from alembic import op

from obcms_platform.migration_ops import create_feed_json_functions, drop_feed_json_functions

revision: str = "0013"
down_revision: str | None = "0012"

FEED_ENTRY = (
    """'{"id":"staff-task-' || id::text"""
    """ || '","title":' || feed_json_text(title)"""
    """ || ',"start":' || feed_json_date(coalesce(start_date, due_date))"""
    """ || ',"end":' || feed_json_date(due_date + 1)"""
    """ || ',"allDay":' || 'true,"backgroundColor":"#7c3aed","borderColor":"#7c3aed","""
    """"textColor":"#f9fafb"'"""
    """ || coalesce(',"description":' || feed_json_text(nullif(description, '')), '')"""
    """ || ',"extendedProps":{"module":"staff","category":"task","objectId":"' || id::text"""
    """ || '","status":"' || status::text"""
    """ || '","url":"/oobc-management/staff/tasks/' || id::text || '/"'"""
    """ || ',"priority":"' || priority::text || '","domain":"' || domain::text || '"'"""
    """ || ',"assigneeIds":' || CASE WHEN cardinality(assignee_ids) = 0 THEN '[]'"""
    """ ELSE '["' || feed_ids(assignee_ids, '","') || '"]' END"""
    """ || coalesce(',"relatedPpaId":"' || related_ppa_id::text || '"', '')"""
    """ || coalesce(',"relatedAssessmentId":"' || related_assessment_id::text || '"', '')"""
    """ || ',"version":' || version::text"""
    """ || ',"apiUrl":"/api/v1/tasks/' || id::text || '"'"""
    """ || chr(1) || coalesce(created_by::text, '') || ' ' || coalesce(related_ppa_id::text, '')"""
    """ || ' ' || feed_ids(assignee_ids, ',') || ' ' || feed_ids(team_ids, ',') || chr(1)"""
    """ || '}}'"""
)


def upgrade() -> None:
    create_feed_json_functions()
    op.add_column(
        "tasks",
        sa.Column("feed_entry", sa.Text(), sa.Computed(FEED_ENTRY, persisted=True)),
    )


def downgrade() -> None:
    op.drop_column("tasks", "feed_entry")
    drop_feed_json_functions()
