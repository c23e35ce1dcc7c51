"""The files attached to PPAs and assessments: their rows (the files themselves are in the
storage)."""

from __future__ import annotations

from obcms_platform.attachments import AttachableRecord, AttachmentColumns
from portfolio_service.db import Base


class Attachment(AttachmentColumns, Base):
    pass


PPA_FILES = AttachableRecord("portfolio", "ppa", Attachment, what="PPA")
ASSESSMENT_FILES = AttachableRecord("portfolio", "assessment", Attachment, what="assessment")
