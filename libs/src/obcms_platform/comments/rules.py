"""Who may comment, and who may change a comment: the same three rules in every service
that keeps comments (each lists them in its `authz.py` RULES)."""

from __future__ import annotations

from dataclasses import dataclass

from obcms_platform.auth import Role
from obcms_platform.authz import Rule, owned_by
from obcms_platform.comments.models import CommentColumns

# The path parameter naming a comment in its routes.
COMMENT_ID = "comment_id"


@dataclass(frozen=True)
class CommentRules:
    create: Rule
    edit: Rule
    delete: Rule

    @classmethod
    def of(cls, model: type[CommentColumns]) -> CommentRules:
        """The rules about the comments of `model`: anyone signed in comments; only its author
        edits a comment (what it says is theirs: no role may put words in their mouth); its
        author or a manager deletes one (moderation)."""
        author = owned_by(model.author_id, param=COMMENT_ID, what="comment")
        return cls(
            create=Rule("comment.create", "Comment on a record", role=Role.STAFF),
            edit=Rule.owned(
                "comment.edit", "Edit a comment", loader=author, owners_are="its author", role=None
            ),
            delete=Rule.owned(
                "comment.delete", "Delete a comment", loader=author, owners_are="its author"
            ),
        )

    @property
    def all(self) -> tuple[Rule, Rule, Rule]:
        return (self.create, self.edit, self.delete)
