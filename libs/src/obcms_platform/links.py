"""Links to a record that outlive the web UI's page layout: ``/go/<record>/<id>``.

Messages (email, the inbox) link this way; the gateway answers each with a redirect to the
record's page (through the login page when needed), so a link in last month's email still
lands on the right page after the pages move.
"""

from __future__ import annotations

import uuid
from datetime import date
from enum import StrEnum


class Record(StrEnum):
    TASK = "task"
    PPA = "ppa"
    ASSESSMENT = "assessment"
    NEED = "need"
    EVENT = "event"
    LEAVE = "leave"
    BOOKING = "booking"


LINK_PREFIX = "/go/"
# The gateway's "My tasks" page: what a message about several tasks at once opens.
MY_TASKS_LINK = "/oobc-management/staff/tasks/mine/"


# The query of a link to one occurrence of a repeating event (the day it was planned on).
OCCURRENCE_PARAM = "occurrence"


def record_link(
    record: Record,
    record_id: uuid.UUID | str,
    comment_id: uuid.UUID | None = None,
    *,
    occurrence: date | None = None,
) -> str:
    """The record's link; with `comment_id`, at that comment of its discussion (the page's
    ``comment-<id>`` anchor: the browser keeps the fragment across the redirect); with
    `occurrence`, that occurrence of a repeating event (the day it was planned on)."""
    query = f"?{OCCURRENCE_PARAM}={occurrence.isoformat()}" if occurrence else ""
    anchor = f"#comment-{comment_id}" if comment_id else ""
    return f"{LINK_PREFIX}{record.value}/{record_id}{query}{anchor}"


def export_link(service: str, job_id: uuid.UUID | str) -> str:
    """The gateway's page of a background export (`export_jobs`): its progress, its file."""
    return f"/exports/{service}/{job_id}/"
