"""The row lock with its version check, and the `q` text filter, on a real PostgreSQL."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
from sqlalchemy import String, create_engine, select
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column

from obcms_platform.db import normalise_url, service_metadata
from obcms_platform.errors import NotFoundError, PreconditionFailedError
from obcms_platform.records import locked, text_match
from obcms_platform.testing import PostgresServer


class Base(DeclarativeBase):
    metadata = service_metadata()


class Note(Base):
    __tablename__ = "records_test_note"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str | None] = mapped_column(String(200))
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


def _note(session: Session, title: str, body: str | None = None) -> Note:
    note = Note(title=title, body=body)
    session.add(note)
    session.flush()
    return note


def _titles(session: Session, q: str) -> set[str]:
    return set(session.scalars(select(Note.title).where(text_match(q, Note.title, Note.body))))


def test_locked_returns_the_row_at_the_expected_version(session: Session) -> None:
    note = _note(session, "plan")
    assert locked(session, Note, note.id, 1, what="note") is note
    assert locked(session, Note, note.id, what="note") is note


def test_locked_missing_row_is_not_found_naming_it(session: Session) -> None:
    missing = uuid.uuid4()
    with pytest.raises(NotFoundError) as raised:
        locked(session, Note, missing, what="note")
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
