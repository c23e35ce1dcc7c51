"""The standard routes of a resource, generated from its service functions, on a real
PostgreSQL: what a client of any service sees of list, create, get, update, delete, of links
to other records and of an action taking `Writes`."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Annotated

import anyio.to_thread
import pytest
from fastapi import APIRouter
from fastapi.testclient import TestClient
from psycopg.pq import TransactionStatus
from pydantic import BaseModel
from sqlalchemy import String, create_engine, event, select
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column

from obcms_platform.app import create_service_app
from obcms_platform.auth import Principal, Role
from obcms_platform.authz import Rule
from obcms_platform.db import normalise_url, service_metadata
from obcms_platform.errors import NotFoundError
from obcms_platform.pagination import PageParams, paginate
from obcms_platform.records import locked
from obcms_platform.resource_routes import ResourceRoutes, Write, Writes, collection_router
from obcms_platform.schemas import RequestModel, ResponseModel
from obcms_platform.settings import RunMode
from obcms_platform.testing import PostgresServer, auth_headers

from .conftest import ExampleSettings

AUDIENCE = ExampleSettings.service_name
STAFF = auth_headers(uuid.uuid4(), [Role.STAFF], audience=AUDIENCE)
MANAGER = auth_headers(uuid.uuid4(), [Role.MANAGER], audience=AUDIENCE)
NOTE_WRITE = Rule("note.write", "change a note")
NOTES = "/api/v1/notes"
FOLLOW_DESCRIPTION = "The note comes after note `other_id`."


class Base(DeclarativeBase):
    metadata = service_metadata()


class Note(Base):
    __tablename__ = "resource_routes_test_note"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    title: Mapped[str] = mapped_column(String(200))
    author: Mapped[uuid.UUID]
    status: Mapped[str] = mapped_column(String(20), default="open")
    remark: Mapped[str | None] = mapped_column(String(200))
    follows: Mapped[uuid.UUID | None]
    version: Mapped[int] = mapped_column(nullable=False)
    __mapper_args__ = {"version_id_col": version}


class NoteRead(ResponseModel):
    id: uuid.UUID
    title: str
    author: uuid.UUID
    status: str
    remark: str | None
    follows: uuid.UUID | None


class NoteCreate(RequestModel):
    title: str


class NoteUpdate(RequestModel):
    title: str


class NoteClosing(RequestModel):
    why: str | None = None


class NoteFilters(BaseModel):
    title: str | None = None


def list_notes(session: Session, filters: NoteFilters, page: PageParams) -> tuple[list[Note], int]:
    statement = select(Note).order_by(Note.title)
    if filters.title is not None:
        statement = statement.where(Note.title == filters.title)
    return paginate(session, statement, page)


def create_note(session: Session, data: NoteCreate, principal: Principal) -> Note:
    note = Note(title=data.title, author=principal.user_id)
    session.add(note)
    session.flush()
    return note


def get_note(session: Session, note_id: uuid.UUID) -> Note:
    note = session.get(Note, note_id)
    if note is None:
        raise NotFoundError("note", note_id)
    return note


def update_note(
    session: Session, note_id: uuid.UUID, changes: NoteUpdate, expected_version: int | None
) -> Note:
    note = locked(session, Note, note_id, expected_version, what="note")
    note.title = changes.title
    session.flush()
    return note


def delete_note(session: Session, note_id: uuid.UUID, expected_version: int | None) -> None:
    session.delete(locked(session, Note, note_id, expected_version, what="note"))
    session.flush()


def decide_note(
    session: Session, note_id: uuid.UUID, to: str, principal: Principal, remark: str | None
) -> Note:
    note = locked(session, Note, note_id, what="note")
    note.status, note.remark = to, remark
    session.flush()
    return note


def follow_note(
    session: Session,
    note_id: uuid.UUID,
    other_id: uuid.UUID,
    principal: Principal,
    expected_version: int | None,
) -> Note:
    note = locked(session, Note, note_id, expected_version, what="note")
    note.follows = get_note(session, other_id).id
    session.flush()
    return note


def unfollow_note(
    session: Session,
    note_id: uuid.UUID,
    other_id: uuid.UUID,
    principal: Principal,
    expected_version: int | None,
) -> Note:
    note = locked(session, Note, note_id, expected_version, what="note")
    if note.follows != other_id:
        raise NotFoundError("followed note", other_id)
    note.follows = None
    session.flush()
    return note


def _router() -> APIRouter:
    router = collection_router("notes")
    notes = ResourceRoutes(router, "note", NoteRead)
    notes.list(NoteFilters, list_notes)
    notes.create(NoteCreate, create_note, NOTE_WRITE, errors=(409,))
    notes.get(get_note)
    notes.update(NoteUpdate, update_note, NOTE_WRITE, errors=(404, 412))
    notes.delete(delete_note, NOTE_WRITE)
    notes.transition("close", "closed", decide_note, NOTE_WRITE, body=NoteClosing, note="why")
    notes.links(
        "follows",
        "other_id",
        follow_note,
        unfollow_note,
        NOTE_WRITE,
        errors=(404, 412),
        add_description=FOLLOW_DESCRIPTION,
        remove_description="The note no longer comes after note `other_id`.",
    )

    @router.post("/{note_id}/shout", response_model=NoteRead)
    def shout_note(note_id: uuid.UUID, write: Annotated[Write, Writes(NOTE_WRITE)]) -> NoteRead:
        note = locked(write.session, Note, note_id, write.expected_version, what="note")
        note.title = note.title.upper()
        return write.respond(note, NoteRead)

    return router


@pytest.fixture(scope="module")
def client(postgres_server: PostgresServer, redis_url: str) -> Iterator[TestClient]:
    database_url = postgres_server.url("postgres")
    engine = create_engine(normalise_url(database_url))
    Base.metadata.create_all(engine)
    settings = ExampleSettings(database_url=database_url, redis_url=redis_url, mode=RunMode.TEST)
    app = create_service_app(settings, title="notes", routers=[_router()])
    try:
        with TestClient(app, raise_server_exceptions=False) as test_client:
            yield test_client
    finally:
        Base.metadata.drop_all(engine)
        engine.dispose()


def _create(client: TestClient, title: str) -> dict[str, str]:
    response = client.post(NOTES, json={"title": title}, headers=MANAGER)
    assert response.status_code == 201, response.text
    return dict(response.json())


def test_create_answers_201_with_the_address_and_version_of_the_new_record(client):
    response = client.post(NOTES, json={"title": "plan"}, headers=MANAGER)
    assert response.status_code == 201
    note = response.json()
    assert note["title"] == "plan"
    assert response.headers["Location"] == f"{NOTES}/{note['id']}"
    assert response.headers["ETag"] == '"1"'
    fetched = client.get(response.headers["Location"], headers=STAFF)
    assert fetched.status_code == 200
    assert fetched.json() == note
    assert fetched.headers["ETag"] == '"1"'


def test_the_rule_refuses_a_write_before_the_service_runs(client):
    response = client.post(NOTES, json={"title": "sneaky"}, headers=STAFF)
    assert response.status_code == 403
    assert "change a note" in response.json()["error"]["message"]
    listed = client.get(NOTES, params={"title": "sneaky"}, headers=STAFF).json()
    assert listed["total"] == 0


def test_list_pages_and_filters(client):
    for title in ("list-a", "list-b", "list-c"):
        _create(client, title)
    response = client.get(NOTES, params={"title": "list-b", "limit": 1}, headers=STAFF)
    assert response.status_code == 200
    page = response.json()
    assert [item["title"] for item in page["items"]] == ["list-b"]
    assert (page["total"], page["limit"], page["offset"]) == (1, 1, 0)
    too_big = client.get(NOTES, params={"limit": 10_000}, headers=STAFF)
    assert too_big.status_code == 422
    assert too_big.json()["error"]["field"] == "limit"
    # This list has no export: a file is refused naming `format`, not sent as JSON.
    as_file = client.get(NOTES, params={"format": "csv"}, headers=STAFF)
    assert as_file.status_code == 422
    assert as_file.json()["error"]["field"] == "format"


def test_update_is_guarded_by_if_match_and_answers_the_new_version(client):
    note = _create(client, "draft")
    address = f"{NOTES}/{note['id']}"
    stale = client.patch(address, json={"title": "x"}, headers={**MANAGER, "If-Match": '"7"'})
    assert stale.status_code == 412
    response = client.patch(
        address, json={"title": "final"}, headers={**MANAGER, "If-Match": '"1"'}
    )
    assert response.status_code == 200
    assert response.json()["title"] == "final"
    assert response.headers["ETag"] == '"2"'
    assert client.get(address, headers=STAFF).json()["title"] == "final"


def test_delete_answers_204_and_the_record_is_gone(client):
    note = _create(client, "doomed")
    address = f"{NOTES}/{note['id']}"
    assert client.delete(address, headers={**MANAGER, "If-Match": '"5"'}).status_code == 412
    response = client.delete(address, headers={**MANAGER, "If-Match": '"1"'})
    assert response.status_code == 204
    assert response.content == b""
    missing = client.get(address, headers=STAFF)
    assert missing.status_code == 404


def test_an_unknown_or_malformed_id_is_a_clean_error(client):
    assert client.get(f"{NOTES}/{uuid.uuid4()}", headers=STAFF).status_code == 404
    malformed = client.get(f"{NOTES}/not-an-id", headers=STAFF)
    assert malformed.status_code == 422
    assert malformed.json()["error"]["field"] == "note_id"


def test_an_action_through_writes_commits_and_answers_the_new_version(client):
    note = _create(client, "quiet")
    address = f"{NOTES}/{note['id']}/shout"
    assert client.post(address, headers={**MANAGER, "If-Match": '"9"'}).status_code == 412
    assert client.post(address, headers=STAFF).status_code == 403
    response = client.post(address, headers={**MANAGER, "If-Match": '"1"'})
    assert response.status_code == 200
    assert response.json()["title"] == "QUIET"
    assert response.headers["ETag"] == '"2"'
    assert client.get(f"{NOTES}/{note['id']}", headers=STAFF).json()["title"] == "QUIET"


def test_the_generated_routes_document_themselves_as_hand_written_ones_would(client):
    operations = client.app.openapi()["paths"]
    assert operations[NOTES]["get"]["operationId"] == "list_notes_api_v1_notes_get"
    assert operations[NOTES]["post"]["operationId"] == "create_note_api_v1_notes_post"
    one = operations[f"{NOTES}/{{note_id}}"]
    assert one["patch"]["operationId"] == "update_note_api_v1_notes__note_id__patch"
    assert {p["name"] for p in one["patch"]["parameters"]} == {"note_id", "if-match"}
    assert {p["name"] for p in one["get"]["parameters"]} == {"note_id"}
    assert set(one["delete"]["responses"]) == {"204", "401", "403", "404", "412", "422"}
    listed = {p["name"] for p in operations[NOTES]["get"]["parameters"]}
    # `format` too: a list without an export answers JSON only, and says so.
    assert listed == {"title", "limit", "offset", "format"}
    assert operations[NOTES]["get"]["responses"]["200"]["content"]["application/json"][
        "schema"
    ] == {"$ref": "#/components/schemas/Page_NoteRead_"}


def test_a_service_function_that_cannot_take_the_call_is_refused_when_declared():
    notes = ResourceRoutes(APIRouter(prefix="/notes"), "note", NoteRead)

    def update_ignoring_if_match(session: Session, note_id: uuid.UUID, changes: NoteUpdate) -> Note:
        raise AssertionError("never called")

    with pytest.raises(TypeError, match="expected_version"):
        notes.update(NoteUpdate, update_ignoring_if_match, NOTE_WRITE, errors=())

    def create_wanting_more(session: Session, data: NoteCreate, tag: str) -> Note:
        raise AssertionError("never called")

    with pytest.raises(TypeError):
        notes.create(NoteCreate, create_wanting_more, NOTE_WRITE)


def test_a_transition_moves_the_record_with_the_optional_note(client):
    with_note, without = _create(client, "closing"), _create(client, "closing too")
    refused = client.post(f"{NOTES}/{with_note['id']}/close", headers=STAFF)
    assert refused.status_code == 403
    response = client.post(
        f"{NOTES}/{with_note['id']}/close", json={"why": "done"}, headers=MANAGER
    )
    assert response.status_code == 200
    assert (response.json()["status"], response.json()["remark"]) == ("closed", "done")
    assert "ETag" not in response.headers
    bare = client.post(f"{NOTES}/{without['id']}/close", headers=MANAGER)
    assert (bare.json()["status"], bare.json()["remark"]) == ("closed", None)
    typo = client.post(f"{NOTES}/{without['id']}/close", json={"wy": "x"}, headers=MANAGER)
    assert typo.status_code == 422
    assert client.get(f"{NOTES}/{with_note['id']}", headers=STAFF).json()["status"] == "closed"
    operation = client.app.openapi()["paths"][f"{NOTES}/{{note_id}}/close"]["post"]
    assert operation["operationId"] == "close_note_api_v1_notes__note_id__close_post"


def test_a_link_to_another_record_is_made_and_undone_under_if_match(client):
    note, other = _create(client, "second"), _create(client, "first")
    address = f"{NOTES}/{note['id']}/follows/{other['id']}"
    assert client.put(address, headers=STAFF).status_code == 403
    assert client.put(address, headers={**MANAGER, "If-Match": '"4"'}).status_code == 412
    unknown = client.put(f"{NOTES}/{note['id']}/follows/{uuid.uuid4()}", headers=MANAGER)
    assert unknown.status_code == 404
    linked = client.put(address, headers={**MANAGER, "If-Match": '"1"'})
    assert linked.status_code == 200
    assert linked.json()["follows"] == other["id"]
    assert linked.headers["ETag"] == '"2"'
    assert client.get(f"{NOTES}/{note['id']}", headers=STAFF).json()["follows"] == other["id"]
    assert client.delete(address, headers={**MANAGER, "If-Match": '"1"'}).status_code == 412
    unlinked = client.delete(address, headers={**MANAGER, "If-Match": '"2"'})
    assert unlinked.status_code == 200
    assert unlinked.json()["follows"] is None
    assert unlinked.headers["ETag"] == '"3"'
    assert client.delete(address, headers=MANAGER).status_code == 404
    operations = client.app.openapi()["paths"][f"{NOTES}/{{note_id}}/follows/{{other_id}}"]
    assert operations["put"]["operationId"] == (
        "follow_note_api_v1_notes__note_id__follows__other_id__put"
    )
    assert operations["put"]["description"] == FOLLOW_DESCRIPTION
    assert operations["put"]["tags"] == ["notes"]
    assert set(operations["delete"]["responses"]) == {"200", "401", "404", "412", "422"}


def test_a_page_total_is_exact_whether_or_not_it_was_counted(client):
    for _ in range(5):
        _create(client, "paged")
    for limit, offset in ((2, 0), (2, 2), (2, 4), (5, 0), (10, 0), (2, 6), (3, 3)):
        page = client.get(
            NOTES, params={"title": "paged", "limit": limit, "offset": offset}, headers=STAFF
        ).json()
        assert page["total"] == 5, (limit, offset)
        assert len(page["items"]) == max(0, min(limit, 5 - offset)), (limit, offset)


def test_a_list_that_fits_its_page_is_answered_without_counting(client):
    for _ in range(3):
        _create(client, "counted")
    engine = client.app.state.database.engine
    statements: list[str] = []

    def record(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", record)
    try:
        fits = client.get(NOTES, params={"title": "counted", "limit": 5}, headers=STAFF)
        counted_fits = [s for s in statements if "count(" in s.lower()]
        statements.clear()
        full = client.get(NOTES, params={"title": "counted", "limit": 2}, headers=STAFF)
        counted_full = [s for s in statements if "count(" in s.lower()]
    finally:
        event.remove(engine, "before_cursor_execute", record)
    assert fits.json()["total"] == full.json()["total"] == 3
    assert counted_fits == []  # a page with room left is the whole list
    assert len(counted_full) == 1  # a full page may have more after it


def test_a_list_goes_to_the_thread_pool_once(client, monkeypatch):
    """Each hop to a worker thread costs CPU on both sides: a list reads, writes its JSON and
    ends its read in the one thread its route runs in (FastAPI would validate the answer in
    another, and the session's rollback would take a third)."""
    _create(client, "hops")
    hops: list[str] = []
    run_sync = anyio.to_thread.run_sync

    async def counted(function, *args, **kwargs):
        hops.append(getattr(function, "__name__", repr(function)))
        return await run_sync(function, *args, **kwargs)

    monkeypatch.setattr(anyio.to_thread, "run_sync", counted)
    listed = client.get(NOTES, params={"title": "hops"}, headers=STAFF)
    assert listed.status_code == 200
    assert [note["title"] for note in listed.json()["items"]] == ["hops"]
    assert len(hops) == 1, hops


def test_reads_run_without_a_transaction(client):
    """Every statement of a GET, one that fails too, runs on its own (no BEGIN, no COMMIT or
    ROLLBACK round trips; a rollback would also have psycopg forget the prepared statements):
    the connection holds no transaction after any of them. A write holds one."""
    note = _create(client, "read")
    engine = client.app.state.database.engine
    after: list[str] = []

    def statement_ran(conn, cursor, statement, parameters, context, executemany):
        after.append(TransactionStatus(cursor.connection.info.transaction_status).name)

    event.listen(engine, "after_cursor_execute", statement_ran)
    try:
        listed = client.get(NOTES, params={"title": "read"}, headers=STAFF)
        one = client.get(f"{NOTES}/{note['id']}", headers=STAFF)
        missing = client.get(f"{NOTES}/{uuid.uuid4()}", headers=STAFF)
        reads = list(after)
        after.clear()
        _create(client, "written")
    finally:
        event.remove(engine, "after_cursor_execute", statement_ran)
    assert listed.status_code == one.status_code == 200
    assert missing.status_code == 404
    assert len(reads) >= 3, reads
    assert set(reads) == {"IDLE"}, reads
    assert "INTRANS" in after
