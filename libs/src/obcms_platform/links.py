"""Links to a record that outlive the web UI's page layout: ``/go/<record>/<id>``.

Messages (email, the inbox) link this way; the gateway answers each with a redirect to the
record's page (through the login page when needed), so a link in last month's email still
lands on the right page after the pages move.
"""

from __future__ import annotations

import uuid
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


def record_link(record: Record, record_id: uuid.UUID | str) -> str:
    return f"{LINK_PREFIX}{record.value}/{record_id}"


def export_link(service: str, job_id: uuid.UUID | str) -> str:
    """The gateway's page of a background export (`export_jobs`): its progress, its file."""
    return f"/exports/{service}/{job_id}/"
