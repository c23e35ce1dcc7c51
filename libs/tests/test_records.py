"""Loading, locking, changing and filtering records, and the `q` text filter, on a real
PostgreSQL."""

from __future__ import annotations

import enum
import uuid
from collections.abc import Iterator
from functools import partial
from types import SimpleNamespace
from typing import Any

import pytest
from pydantic import BaseModel
from sqlalchemy import String, create_engine, select
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column

from obcms_platform.auth import Principal
from obcms_platform.db import normalise_url, service_metadata
from obcms_platform.errors import ConflictError, NotFoundError, PreconditionFailedError
from obcms_platform.records import (
    apply_changes,
    columns_or_404,
    decide,
    delete_row,
    ensure_status,
    field_conditions,
    get_or_404,
    insert_row,
    locked,
    model_of,
    text_match,
)
from obcms_platform.testing import PostgresServer


class Base(DeclarativeBase):
    metadata = service_metadata()


class Note(Base):
    __tablename__ = "records_test_note"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str | None] = mapped_column(String(200))
    pinned: Mapped[bool] = mapped_column(default=False)
    updated_by: Mapped[uuid.UUID | None]
    version: Mapped[int] = mapped_column(nullable=False)
    __mapper_args__ = {"version_id_col": version}


@pytest.fixture
def session(postgres_server: PostgresServer) -> Iterator[Session]:
    """A session on a table that exists only inside the test's transaction (rolled back)."""
    engine = create_engine(normalise_url(postgres_server.url("postgres")))
    with engine.connect() as connection, connection.begin() as transaction:
        Base.metadata.create_all(connection)
        with Session(bind=connection, join_transaction_mode="create_savepoint") as session:
            yield session
        transaction.rollback()
    engine.dispose()


def _note(session: Session, title: str, body: str | None = None, *, pinned: bool = False) -> Note:
    note = Note(title=title, body=body, pinned=pinned)
    session.add(note)
    session.flush()
    return note


def _titles(session: Session, q: str) -> set[str]:
    return set(session.scalars(select(Note.title).where(text_match(q, Note.title, Note.body))))


def test_locked_returns_the_row_at_the_expected_version(session: Session) -> None:
    note = _note(session, "plan")
    assert locked(session, Note, note.id, 1, what="note") is note
    assert locked(session, Note, note.id, what="note") is note


@pytest.mark.parametrize("fetch", [locked, get_or_404])
def test_a_missing_row_is_not_found_naming_it(session: Session, fetch: Any) -> None:
    missing = uuid.uuid4()
    with pytest.raises(NotFoundError) as raised:
        fetch(session, Note, missing, what="note")
    assert raised.value.status_code == 404
    assert raised.value.message == f"note {missing} not found"


def test_locked_stale_version_is_precondition_failed(session: Session) -> None:
    note = _note(session, "plan")
    note.title = "plan B"
    session.flush()  # now at version 2
    with pytest.raises(PreconditionFailedError) as raised:
        locked(session, Note, note.id, 1, what="note")
    assert raised.value.status_code == 412
    assert raised.value.message == f"note {note.id} is at version 2, not 1; reload it"


def test_text_match_takes_like_wildcards_and_backslash_literally(session: Session) -> None:
    _note(session, "100% done")
    _note(session, "1000 done")
    _note(session, "snake_case")
    _note(session, "snakeXcase")
    _note(session, "C:\\temp")
    _note(session, "C:temp")
    assert _titles(session, "0%") == {"100% done"}
    assert _titles(session, "e_c") == {"snake_case"}
    assert _titles(session, ":\\t") == {"C:\\temp"}


def test_text_match_needs_every_word_in_any_column_ignoring_case(session: Session) -> None:
    _note(session, "Budget review", "with the FINANCE team")
    _note(session, "Budget draft", "for the planning team")
    _note(session, "Finance onboarding")
    assert _titles(session, "finance budget") == {"Budget review"}
    assert _titles(session, "  TEAM  ") == {"Budget review", "Budget draft"}
    assert _titles(session, " ") == {"Budget review", "Budget draft", "Finance onboarding"}


def test_get_or_404_finds_the_row(session: Session) -> None:
    note = _note(session, "plan")
    assert get_or_404(session, Note, note.id, what="note") is note


def test_apply_changes_sets_the_fields_sent_and_who_sent_them(session: Session) -> None:
    note = _note(session, "plan", "first draft")
    editor = Principal(user_id=uuid.uuid4())
    apply_changes(note, {"title": "plan B"}, by=editor)
    session.flush()
    assert (note.title, note.body, note.updated_by, note.version) == (
        "plan B",
        "first draft",
        editor.user_id,
        2,
    )
    apply_changes(note, {"body": None})
    session.flush()
    assert (note.body, note.updated_by, note.version) == (None, editor.user_id, 3)


class NoteFilters(BaseModel):
    title: list[str] = []
    body: str | None = None
    pinned: bool | None = None


def _filtered(session: Session, filters: NoteFilters) -> set[str]:
    conditions = field_conditions(Note, filters, "title", "body", "pinned")
    return set(session.scalars(select(Note.title).where(*conditions)))


def test_field_conditions_filter_by_the_filters_given(session: Session) -> None:
    _note(session, "a", "x", pinned=True)
    _note(session, "b", "x")
    _note(session, "c", "y", pinned=True)
    assert _filtered(session, NoteFilters()) == {"a", "b", "c"}
    assert _filtered(session, NoteFilters(title=["a", "b"])) == {"a", "b"}
    assert _filtered(session, NoteFilters(body="x")) == {"a", "b"}
    assert _filtered(session, NoteFilters(pinned=False)) == {"b"}
    assert _filtered(session, NoteFilters(title=["a", "c"], pinned=True, body="y")) == {"c"}


def test_delete_row_deletes_now_and_gives_the_version_past_its_last(session: Session) -> None:
    note = _note(session, "plan")
    note.title = "plan B"
    session.flush()  # now at version 2
    assert delete_row(session, note) == 3
    assert session.scalar(select(Note.id).where(Note.id == note.id)) is None
    assert note.title == "plan B"


def test_columns_or_404_reads_only_the_columns_asked_for(session: Session) -> None:
    note = _note(session, "plan", "draft")
    row = columns_or_404(session, Note, note.id, Note.title, Note.body, what="note")
    assert tuple(row) == ("plan", "draft")
    missing = uuid.uuid4()
    with pytest.raises(NotFoundError) as raised:
        columns_or_404(session, Note, missing, Note.title, what="note")
    assert raised.value.message == f"note {missing} not found"


def test_insert_row_inserts_now_with_its_defaults(session: Session) -> None:
    note = Note(title="plan")
    insert_row(session, note)
    assert (note.version, note.pinned) == (1, False)
    assert session.scalar(select(Note.title).where(Note.id == note.id)) == "plan"


class Stage(enum.Enum):
    PENDING = "pending"
    APPROVED = "approved"


def test_ensure_status_refuses_a_transition_from_another_status_naming_status() -> None:
    ensure_status(Stage.PENDING, (Stage.PENDING,), refused="approve leave")
    with pytest.raises(ConflictError) as raised:
        ensure_status(Stage.APPROVED, (Stage.PENDING,), refused="approve leave")
    assert raised.value.status_code == 409
    assert raised.value.field == "status"
    assert raised.value.message == "status: cannot approve leave that is approved"


def test_decide_moves_the_status_naming_who_decided_with_the_note_apart() -> None:
    manager = Principal(user_id=uuid.uuid4())
    leave = SimpleNamespace(
        status=Stage.PENDING, approved_by=None, reason="family", decision_note=None
    )

    decide(
        leave, Stage.APPROVED, (Stage.PENDING,), refused="approve leave", by=manager, note="enjoy"
    )

    # The requester's reason stays their own words; the decider's note is beside it.
    assert (leave.status, leave.approved_by, leave.reason, leave.decision_note) == (
        Stage.APPROVED,
        manager.user_id,
        "family",
        "enjoy",
    )


def test_decide_by_nobody_keeps_who_decided_before_and_refuses_another_status() -> None:
    approver = uuid.uuid4()
    booking = SimpleNamespace(
        status=Stage.APPROVED, approved_by=approver, notes="projector", decision_note="ok"
    )
    reopen = partial(
        decide, to=Stage.PENDING, allowed=(Stage.APPROVED,), refused="reopen a booking", by=None
    )

    reopen(booking, note=None)
    assert (booking.status, booking.approved_by, booking.notes, booking.decision_note) == (
        Stage.PENDING,
        approver,
        "projector",
        "ok",
    )
    with pytest.raises(ConflictError, match="cannot reopen a booking that is pending"):
        reopen(booking, note="again")
    assert booking.decision_note == "ok"


class _Figures(BaseModel):
    total: int
    share: float
    label: str


class _Counts:
    total = 8

    @property
    def share(self) -> float:
        return self.total / 10


def test_model_of_reads_attributes_by_field_name_and_takes_the_values_given() -> None:
    assert model_of(_Figures, _Counts(), label="eight") == _Figures(
        total=8, share=0.8, label="eight"
    )


def test_model_of_refuses_a_source_lacking_a_field() -> None:
    with pytest.raises(AttributeError, match="label"):
        model_of(_Figures, _Counts())


def test_model_of_refuses_a_value_naming_no_field() -> None:
    with pytest.raises(TypeError, match="title"):
        model_of(_Figures, _Counts(), label="eight", title="eight")
