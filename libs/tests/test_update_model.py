"""PATCH bodies: which fields a null may clear, declared once on the update schema."""

from __future__ import annotations

from typing import ClassVar

import pytest

from obcms_platform.errors import InvalidInputError
from obcms_platform.schemas import UpdateModel


class NoteUpdate(UpdateModel):
    clearable: ClassVar[frozenset[str]] = frozenset({"due"})

    title: str | None = None
    due: str | None = None
    pinned: bool | None = None


def test_only_the_fields_sent_change() -> None:
    assert NoteUpdate(title="Plan").changes() == {"title": "Plan"}
    assert NoteUpdate().changes() == {}


def test_null_clears_a_clearable_field() -> None:
    assert NoteUpdate(due=None, pinned=False).changes() == {"due": None, "pinned": False}


def test_null_for_a_field_that_cannot_be_cleared_is_refused_naming_it() -> None:
    with pytest.raises(InvalidInputError) as refused:
        NoteUpdate(due=None, pinned=None).changes()
    assert refused.value.status_code == 422
    assert refused.value.message == "pinned: cannot be left empty"
    assert refused.value.field == "pinned"


def test_the_field_named_in_a_refusal_carries_the_prefix_of_the_enclosing_body() -> None:
    with pytest.raises(InvalidInputError) as refused:
        NoteUpdate(title=None).changes(field_prefix="changes.")
    assert refused.value.message == "changes.title: cannot be left empty"
    assert refused.value.field == "changes.title"


def test_a_clearable_name_that_is_not_a_field_is_refused_when_the_schema_is_defined() -> None:
    with pytest.raises(TypeError, match="dew"):

        class TypoUpdate(UpdateModel):
            clearable: ClassVar[frozenset[str]] = frozenset({"dew"})

            due: str | None = None
