"""The portfolio's comments: on PPAs, assessments and needs."""

from __future__ import annotations

from obcms_platform.comments import CommentColumns, CommentedRecord, Comments
from obcms_platform.links import Record
from portfolio_service.assessments.models import Assessment
from portfolio_service.db import Base, outbox
from portfolio_service.needs.models import Need
from portfolio_service.ppas.models import Ppa


class Comment(CommentColumns, Base):
    __tablename__ = "comments"


COMMENTS = Comments(
    Comment,
    outbox,
    [
        CommentedRecord(Record.PPA, Ppa, "ppas", "PPA"),
        CommentedRecord(Record.ASSESSMENT, Assessment, "assessments", "assessment"),
        CommentedRecord(Record.NEED, Need, "needs", "need"),
    ],
)
