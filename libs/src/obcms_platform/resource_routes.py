"""The routes of a standard resource, declared once; and the one way a write route answers.

`collection_router("needs")` is the router of a collection: its address under the API prefix,
its OpenAPI tag and the errors every route of it may answer.

Every resource's routes do the same: parse, call the service, commit, answer the record as its
read model. `ResourceRoutes` generates them from the service functions: list (pagination and
the filters model, a `Page`; with an `Export`, every matching record as a CSV or Excel file),
create (201 with ``Location``), get, update (``If-Match``) and delete (204), status moves
(``POST /{id}/approve``) and links to other records (``PUT`` and
``DELETE /{id}/dependencies/{other_id}``); a versioned resource answers its record's version
as the ``ETag``.

Any other write route (an action on a record: link, approve, split…) takes a `Write` through
`Writes(rule)`: the session, the caller the rule let through, the ``If-Match`` version and the
response; `Write.respond` commits and answers.

The service functions are called with the session and the route's values positionally, and
with ``principal=`` (the caller) and ``expected_version=`` (If-Match) only when they declare
those parameters; a function that cannot take the call is refused when the route is declared.
"""

# No `from __future__ import annotations`: FastAPI reads the annotations of the dependencies
# made here, which name the rule local to the function making them.

import inspect
import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Annotated, Any, Generic, TypeVar

from fastapi import APIRouter, Body, Depends, Query, Request, Response, status
from fastapi.params import Depends as DependsParam
from fastapi.responses import StreamingResponse
from pydantic import BaseModel
from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from obcms_platform import exports, history, registry
from obcms_platform.app import API_PREFIX
from obcms_platform.auth import CurrentPrincipal, Principal
from obcms_platform.authz import Authorize, Rule, permitted
from obcms_platform.db import Database, DbSession
from obcms_platform.errors import InvalidInputError, error_responses
from obcms_platform.exports import EXPORT_CONTENT, Export, ExportableList, ExportFormat
from obcms_platform.formatting import label
from obcms_platform.pagination import Page, Pagination
from obcms_platform.settings import ServiceSettings
from obcms_platform.versioning import ExpectedVersion, set_etag

ReadT = TypeVar("ReadT", bound=BaseModel)
RecordT = TypeVar("RecordT")

# The values a service function receives by keyword, when it declares them.
CALLER = "principal"
EXPECTED_VERSION = "expected_version"

# How a link between a record and another is made or undone: (session, the record's id, the
# other's id, the caller, the If-Match version) → the record.
LinkChange = Callable[[Session, uuid.UUID, uuid.UUID, Principal, int | None], Any]


def collection_router(
    path: str, *, tag: str | None = None, errors: Iterable[int] = ()
) -> APIRouter:
    """The router of the collection at ``/api/v1/{path}``, its operations grouped under `tag`
    (default: `path`); each may answer 401 (not signed in), 422 (bad input) and `errors`."""
    return APIRouter(
        prefix=f"{API_PREFIX}/{path}",
        tags=[tag or path],
        responses=error_responses(401, *errors, 422),
    )


@dataclass(frozen=True)
class Write:
    """What a write route works with: the request's session, the caller its rule let through,
    the version the caller read (If-Match; None when not sent or the route takes none) and the
    response (for its headers)."""

    session: Session
    principal: Principal
    expected_version: int | None
    response: Response

    def saved(self, record: RecordT, *, etag: bool = True) -> RecordT:
        """`record` once the transaction is committed, its version the response's ETag (not
        with `etag` False: a record without a version, or a route that answers none)."""
        self.session.commit()
        if etag:
            set_etag(self.response, getattr(record, "version"))  # noqa: B009 - any versioned record
        return record

    def respond(self, record: object, read: type[ReadT], *, etag: bool = True) -> ReadT:
        """Commit, and answer `record` as `read` (its version as the ETag unless `etag` is
        False)."""
        return read.model_validate(self.saved(record, etag=etag))

    def no_content(self) -> Response:
        """Commit, and answer 204 (a deletion)."""
        self.session.commit()
        return Response(status_code=status.HTTP_204_NO_CONTENT)


def Writes(rule: Rule, *, if_match: bool = True) -> DependsParam:  # noqa: N802 - like Depends
    """The dependency giving a write route its `Write`, after `rule` let the caller through;
    with `if_match`, the route takes the ``If-Match`` header."""
    if if_match:

        async def versioned(
            session: DbSession,
            principal: Annotated[Principal, Authorize(rule)],
            expected_version: ExpectedVersion,
            response: Response,
        ) -> Write:
            history.acting_as(session, principal.user_id)
            return Write(session, principal, expected_version, response)

        dependency: DependsParam = Depends(versioned)
        return dependency

    async def unversioned(
        session: DbSession, principal: Annotated[Principal, Authorize(rule)], response: Response
    ) -> Write:
        history.acting_as(session, principal.user_id)
        return Write(session, principal, None, response)

    dependency = Depends(unversioned)
    return dependency


def read_answer(answer: BaseModel) -> Response:
    """`answer` as the JSON FastAPI would write for it: how a sync route (run in the thread
    pool) that only reads answers. Returning the model would take another thread hop: FastAPI
    validates a sync route's answer in the pool."""
    return Response(answer.model_dump_json(by_alias=True), media_type="application/json")


def _service_call(
    function: Callable[..., RecordT], positional: int, *keywords: str
) -> Callable[..., RecordT]:
    """`function` called with `positional` values and those of `keywords` it declares; refused
    (TypeError) now when it needs other values."""
    declared = inspect.signature(function).parameters
    passed = tuple(name for name in keywords if name in declared)
    inspect.signature(function).bind(*range(positional), **dict.fromkeys(passed))

    def call(*values: Any, **by_name: Any) -> RecordT:
        return function(*values, **{name: by_name[name] for name in passed})

    return call


def endpoint(
    handle: Callable[..., Any], *parameters: tuple[Any, ...], returns: Any = Any
) -> Callable[..., Any]:
    """An endpoint calling `handle` with its values by name; FastAPI reads `parameters` (name,
    annotation[, default]) as its signature, the types being known only when the route is
    declared."""

    def route(**values: Any) -> Any:
        return handle(**values)

    signature = inspect.Signature(
        [
            inspect.Parameter(
                name,
                inspect.Parameter.KEYWORD_ONLY,
                annotation=annotation,
                default=default[0] if default else inspect.Parameter.empty,
            )
            for name, annotation, *default in parameters
        ],
        return_annotation=returns,
    )
    setattr(route, "__signature__", signature)  # noqa: B010 - not an attribute mypy knows
    return route


class ResourceRoutes(Generic[ReadT]):
    """The standard routes of the resource `name` (``need``) on `router`, whose prefix is the
    collection's path: ``/{name}_id`` is one record, `plural` (default `name` + ``s``) names
    the list, and the routes are named as the hand-written ones were (``list_needs``,
    ``create_need``, ``get_need``, ``update_need``, ``delete_need``), which names their
    OpenAPI operations.

    `read` is the answer; `present` turns a record into it for the caller (default: its
    fields as they are). A `versioned` resource answers its version as ETag and its update and
    delete take If-Match.
    """

    def __init__(
        self,
        router: APIRouter,
        name: str,
        read: type[ReadT],
        *,
        plural: str | None = None,
        versioned: bool = True,
        present: Callable[[Any, Principal], ReadT] | None = None,
    ) -> None:
        self.router = router
        self.name = name
        self.plural = plural or f"{name}s"
        self.read = read
        self.versioned = versioned
        self.present = present
        self.record_id = f"{name}_id"
        self.export: Export | None = None
        # The list as a background export job reads it (`export_jobs`), once it has one.
        self.exportable: ExportableList | None = None

    def _answer(self, record: Any, principal: Principal) -> ReadT:
        if self.present is not None:
            return self.present(record, principal)
        return self.read.model_validate(record)

    def _saved(self, write: Write, record: Any) -> ReadT:
        return self._answer(write.saved(record, etag=self.versioned), write.principal)

    def list(
        self,
        filters_model: type[BaseModel],
        find: Callable[..., tuple[Sequence[Any], int]],
        *,
        errors: Iterable[int] = (),
        export: Export | None = None,
        item: type[BaseModel] | None = None,
    ) -> None:
        """``GET ""``: `find(session, filters, page[, principal=])` → (records, total), each
        answered as `item` (default: as one record is), when the list says more of each.

        With an `export`, ``?format=csv`` or ``xlsx`` answers every record `export.query`
        selects with the same filters, as a file (`obcms_platform.exports`); a list without
        one refuses those formats."""
        call = _service_call(find, 3, CALLER)
        self.export = export
        query = _service_call(export.query, 2, CALLER) if export is not None else None
        if export is not None and query is not None:
            self.exportable = ExportableList(
                export, filters_model, query, self.present, self._sheet_title()
            )
        # The concrete page model (its OpenAPI schema: `Page_NeedRead_`), of a read model known
        # only here; mypy takes the subscript for a type.
        read = item or self.read
        page_model = Page[read]  # type: ignore[valid-type]

        def handle(
            request: Request,
            session: Session,
            principal: Principal,
            page: Any,
            filters: Any,
            format: ExportFormat,
        ) -> Any:
            if format is not ExportFormat.JSON:
                return self._export(request, session, principal, filters, format, query)
            records, total = call(session, filters, page, principal=principal)
            if self.present is not None:
                records = [self.present(record, principal) for record in records]
            return read_answer(page_model.of(records, total, page))

        self.router.add_api_route(
            "",
            endpoint(
                handle,
                ("request", Request),
                ("session", DbSession),
                ("principal", CurrentPrincipal),
                ("page", Pagination),
                ("filters", Annotated[filters_model, Query()]),
                (
                    "format",
                    Annotated[
                        ExportFormat,
                        Query(
                            description="json: one page; csv or xlsx: every matching "
                            "record as a file" + ("" if export else " (not for this list)")
                        ),
                    ],
                    ExportFormat.JSON,
                ),
            ),
            methods=["GET"],
            name=f"list_{self.plural}",
            response_model=page_model,
            responses={
                **({200: {"content": EXPORT_CONTENT}} if export else {}),
                **error_responses(*errors),
            },
        )

    def _export(
        self,
        request: Request,
        session: Session,
        principal: Principal,
        filters: BaseModel,
        export_format: ExportFormat,
        query: Callable[..., Select[Any]] | None,
    ) -> StreamingResponse:
        """Every record the list's filters select, as a file in `export_format`."""
        if self.export is None or query is None:
            raise InvalidInputError(
                f"format: the {self.plural} list is not exported; use json", field="format"
            )
        for paging in ("limit", "offset"):
            if paging in request.query_params:
                raise InvalidInputError(
                    f"{paging}: an export holds every matching record; leave out limit and offset",
                    field=paging,
                )
        statement = query(session, filters, principal=principal)
        if export_format is ExportFormat.XLSX:
            self._refuse_large_workbook(request, session, statement, self.export)
        present = self.present
        database: Database = request.app.state.database
        records = exports.rows(
            database.session,
            statement,
            (lambda record: present(record, principal)) if present is not None else None,
        )
        return exports.export_response(
            self.export,
            export_format,
            records,
            today=principal.today(),
            title=self._sheet_title(),
            names=self.export.names(session),
            zone=principal.zone,
        )

    def _refuse_large_workbook(
        self, request: Request, session: Session, statement: Select[Any], export: Export
    ) -> None:
        """422 on `format` when the workbook would hold more cells than one built while the
        client waits may (`export_xlsx_max_cells`), saying what to do instead."""
        settings: ServiceSettings = request.app.state.settings
        most = max(1, settings.export_xlsx_max_cells // len(export.columns))
        counted = select(func.count()).select_from(statement.order_by(None).subquery())
        total = session.scalar(counted) or 0
        if total <= most:
            return
        jobs = registry.by_name(settings.service_name).exports_resource
        background = (
            f", or export it in the background (POST {API_PREFIX}/{jobs} with "
            f'{{"resource": "{export.name}", "format": "xlsx", "filters": {{...}}}})'
            if jobs
            else ""
        )
        raise InvalidInputError(
            f"format: an Excel file of {total:,} {self.plural.replace('_', ' ')} is too large to "
            f"build while you wait (at most {most:,} of them, {len(export.columns)} "
            f"columns each); narrow the filters, ask for format=csv, which streams any number "
            f"of rows{background}",
            field="format",
        )

    def _sheet_title(self) -> str:
        """The workbook's sheet, named as people say it ("PPAs", "Funding tranches")."""
        return label(self.plural)

    def create(
        self,
        body: type[BaseModel],
        create: Callable[..., Any],
        rule: Rule,
        *,
        errors: Iterable[int] = (),
        description: str | None = None,
    ) -> None:
        """``POST ""``: `create(session, data[, principal=])` → the new record (201, its
        address in ``Location``)."""
        call = _service_call(create, 2, CALLER)

        def handle(data: Any, write: Write) -> ReadT:
            record = call(write.session, data, principal=write.principal)
            write.response.headers["Location"] = f"{self.router.prefix}/{record.id}"
            return self._saved(write, record)

        self.router.add_api_route(
            "",
            endpoint(
                handle,
                ("data", body),
                ("write", Annotated[Write, Writes(rule, if_match=False)]),
            ),
            methods=["POST"],
            name=f"create_{self.name}",
            response_model=self.read,
            status_code=status.HTTP_201_CREATED,
            responses=error_responses(*errors),
            description=description,
        )

    def get(self, get: Callable[..., Any]) -> None:
        """``GET /{id}``: `get(session, id[, principal=])` → the record (404 when there is
        none, or none the caller may see)."""
        call = _service_call(get, 2, CALLER)

        def handle(session: Session, principal: Principal, response: Response, **ids: Any) -> Any:
            record = call(session, ids[self.record_id], principal=principal)
            if self.versioned:
                set_etag(response, record.version)
            return self._answer(record, principal)

        self.router.add_api_route(
            f"/{{{self.record_id}}}",
            endpoint(
                handle,
                (self.record_id, uuid.UUID),
                ("session", DbSession),
                ("principal", CurrentPrincipal),
                ("response", Response),
            ),
            methods=["GET"],
            name=f"get_{self.name}",
            response_model=self.read,
            responses=error_responses(404),
        )

    def permissions(self, get: Callable[[Session, uuid.UUID], Any], **rules: Rule) -> None:
        """``GET /{id}/permissions``: for each action of `rules` (``update=TASK_UPDATE``),
        whether the caller may take it on the record, judged by the rule its route enforces
        (404 when `get` finds no record). A page offers only those; the routes stay the
        judges."""

        def handle(session: Session, principal: Principal, **ids: Any) -> dict[str, bool]:
            get(session, ids[self.record_id])
            return {name: permitted(session, principal, rule, ids) for name, rule in rules.items()}

        self.router.add_api_route(
            f"/{{{self.record_id}}}/permissions",
            endpoint(
                handle,
                (self.record_id, uuid.UUID),
                ("session", DbSession),
                ("principal", CurrentPrincipal),
            ),
            methods=["GET"],
            name=f"get_{self.name}_permissions",
            response_model=dict[str, bool],
            responses=error_responses(404),
        )

    def history(
        self,
        kept: history.RecordHistory,
        get: Callable[..., Any],
        *,
        may_read_private: Callable[[Any, Principal], bool] | None = None,
    ) -> None:
        """``GET /{id}/history``: the record's changes, newest first, from `kept` (404 when
        `get(session, id[, principal=])` finds no record); its private fields' values only for
        whom `may_read_private` (the record, the caller) allows."""
        call = _service_call(get, 2, CALLER)

        def handle(session: Session, principal: Principal, page: Any, **ids: Any) -> Any:
            record = call(session, ids[self.record_id], principal=principal)
            private = may_read_private is None or may_read_private(record, principal)
            return kept.entries(session, self.name, record.id, page, may_read_private=private)

        self.router.add_api_route(
            f"/{{{self.record_id}}}/history",
            endpoint(
                handle,
                (self.record_id, uuid.UUID),
                ("session", DbSession),
                ("principal", CurrentPrincipal),
                ("page", Pagination),
            ),
            methods=["GET"],
            name=f"get_{self.name}_history",
            response_model=Page[history.HistoryEntry],
            responses=error_responses(404),
        )

    def update(
        self,
        body: type[BaseModel],
        update: Callable[..., Any],
        rule: Rule,
        *,
        errors: Iterable[int],
    ) -> None:
        """``PATCH /{id}``: `update(session, id, changes[, principal=][, expected_version=])`
        → the changed record."""
        keywords = (CALLER, EXPECTED_VERSION) if self.versioned else (CALLER,)
        call = _service_call(update, 3, *keywords)
        self._check_takes_version(update)

        def handle(changes: Any, write: Write, **ids: Any) -> ReadT:
            record = call(
                write.session,
                ids[self.record_id],
                changes,
                principal=write.principal,
                expected_version=write.expected_version,
            )
            return self._saved(write, record)

        self.router.add_api_route(
            f"/{{{self.record_id}}}",
            endpoint(
                handle,
                (self.record_id, uuid.UUID),
                ("changes", body),
                ("write", Annotated[Write, Writes(rule, if_match=self.versioned)]),
            ),
            methods=["PATCH"],
            name=f"update_{self.name}",
            response_model=self.read,
            responses=error_responses(*errors),
        )

    def delete(
        self, delete: Callable[..., None], rule: Rule, *, errors: Iterable[int] = (403, 404, 412)
    ) -> None:
        """``DELETE /{id}``: `delete(session, id[, expected_version=][, principal=])` (204)."""
        call = _service_call(delete, 2, EXPECTED_VERSION, CALLER)
        self._check_takes_version(delete)

        def handle(write: Write, **ids: Any) -> Response:
            call(
                write.session,
                ids[self.record_id],
                expected_version=write.expected_version,
                principal=write.principal,
            )
            return write.no_content()

        self.router.add_api_route(
            f"/{{{self.record_id}}}",
            endpoint(
                handle,
                (self.record_id, uuid.UUID),
                ("write", Annotated[Write, Writes(rule, if_match=self.versioned)]),
                returns=Response,
            ),
            methods=["DELETE"],
            name=f"delete_{self.name}",
            response_model=None,
            status_code=status.HTTP_204_NO_CONTENT,
            responses=error_responses(*errors),
        )

    def transition(
        self,
        verb: str,
        to: object,
        decide: Callable[[Session, uuid.UUID, Any, Principal, str | None], Any],
        rule: Rule,
        *,
        body: type[BaseModel],
        note: str,
        errors: Iterable[int] = (403, 404, 409),
    ) -> None:
        """``POST /{id}/{verb}`` (``approve``): `decide(session, id, to, principal, note)` moves
        the record to status `to`, the note being the `note` field of the optional `body`;
        answers the record without an ETag."""
        if note not in body.model_fields:
            raise TypeError(f"{body.__name__} has no field {note}")

        def handle(write: Write, decision: BaseModel | None, **ids: Any) -> ReadT:
            text = getattr(decision, note) if decision is not None else None
            record = decide(write.session, ids[self.record_id], to, write.principal, text)
            return self._answer(write.saved(record, etag=False), write.principal)

        self.router.add_api_route(
            f"/{{{self.record_id}}}/{verb}",
            endpoint(
                handle,
                (self.record_id, uuid.UUID),
                ("write", Annotated[Write, Writes(rule, if_match=False)]),
                ("decision", Annotated[body | None, Body()], None),
            ),
            methods=["POST"],
            name=f"{verb}_{self.name}",
            response_model=self.read,
            responses=error_responses(*errors),
        )

    def links(
        self,
        segment: str,
        other: str,
        add: LinkChange,
        remove: LinkChange,
        rule: Rule,
        *,
        errors: Iterable[int],
        add_description: str,
        remove_description: str,
    ) -> None:
        """``PUT /{id}/{segment}/{other}`` links the record to the record `other` names,
        ``DELETE`` on the same address undoes it: `add` and `remove` make the change and the
        routes answer the record. Each route is named after its function (``link_ppa``)."""
        for method, change, description in (
            ("PUT", add, add_description),
            ("DELETE", remove, remove_description),
        ):
            self._link_route(method, segment, other, change, rule, errors, description)

    def _link_route(
        self,
        method: str,
        segment: str,
        other: str,
        change: LinkChange,
        rule: Rule,
        errors: Iterable[int],
        description: str,
    ) -> None:
        def handle(write: Write, **ids: Any) -> ReadT:
            record = change(
                write.session,
                ids[self.record_id],
                ids[other],
                write.principal,
                write.expected_version,
            )
            return self._saved(write, record)

        self.router.add_api_route(
            f"/{{{self.record_id}}}/{segment}/{{{other}}}",
            endpoint(
                handle,
                (self.record_id, uuid.UUID),
                (other, uuid.UUID),
                ("write", Annotated[Write, Writes(rule, if_match=self.versioned)]),
            ),
            methods=[method],
            name=change.__name__,
            response_model=self.read,
            responses=error_responses(*errors),
            description=description,
        )

    def _check_takes_version(self, function: Callable[..., Any]) -> None:
        # A versioned resource's writes take If-Match: a service function ignoring it would
        # let a stale write through.
        if self.versioned and EXPECTED_VERSION not in inspect.signature(function).parameters:
            raise TypeError(f"{function.__name__}: a versioned {self.name} needs expected_version")
