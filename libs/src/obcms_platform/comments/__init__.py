"""Comments on records: Markdown rendered safely, edited by their author for a short while,
deleted softly by their author or a manager, and the people they mention told.

A service keeping comments declares, once: its model (``class Comment(CommentColumns,
Base)`` in its ``comments/models.py``, with `Comments` binding it to its outbox and to the
kinds of record commented on), its rules (`CommentRules.of(Comment)`, listed in its
``authz.py`` RULES) and its routes (`comment_routes`).
"""

from obcms_platform.comments.models import CommentColumns
from obcms_platform.comments.routes import comment_routes
from obcms_platform.comments.rules import CommentRules
from obcms_platform.comments.schemas import CommentCreate, CommentRead, CommentUpdate
from obcms_platform.comments.service import CommentedRecord, Comments

__all__ = [
    "CommentColumns",
    "CommentCreate",
    "CommentRead",
    "CommentRules",
    "CommentUpdate",
    "CommentedRecord",
    "Comments",
    "comment_routes",
]
