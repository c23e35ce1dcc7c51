"""Status update request and response schemas."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Annotated

from pydantic import Field

from obcms_platform.schemas import LongText, PlausibleDate, RequestModel, ResponseModel

Percent = Annotated[int, Field(ge=0, le=100)]


class StatusUpdateCreate(RequestModel):
    as_of: PlausibleDate = Field(description="the day the update describes (not in the future)")
    narrative: Annotated[LongText, Field(min_length=1)]
    progress: Percent | None = Field(None, description="as reported; null: not reported")
    issues: LongText = ""
    next_steps: LongText = ""


class StatusUpdateRead(ResponseModel):
    """`ppa_progress`: the PPA's progress from its tasks when the update was written."""

    id: uuid.UUID
    ppa_id: uuid.UUID
    as_of: dt.date
    narrative: str
    progress: int | None
    ppa_progress: int
    issues: str
    next_steps: str
    author_id: uuid.UUID
    created_at: dt.datetime
