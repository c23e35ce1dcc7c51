"""Imports of records from an Excel workbook laid out as their list's export writes it.

A collection that declares an `Import` takes ``POST <collection>/import`` (a multipart form's
``file``; ``?dry_run=true`` to check without writing). The layout is the export's
(`obcms_platform.exports.Column`): the first row of the first sheet holds the column headers,
in any order, and each column that an import fills says how its cell is read back
(`Imported`: labels to codes, dates, numbers, lists); computed and read-only columns
(progress, created…) are ignored, and the report says so. Blank rows are skipped.

Every row is read into the resource's create schema and created with the service function
its create route calls, so the same rules, history and events apply; each in a savepoint of
the one transaction, so that every row's problem is found, each with its row number as the
spreadsheet shows it, the column's header and a message in words. Then either every row is
committed together, or nothing is: a dry run, or any problem, rolls the whole back.

The people the rows name (the cells of a create schema's person fields,
`obcms_platform.person_fields`) are listed in the report, not checked: the service cannot tell
an account that is missing or switched off from an active one; the gateway, which owns the
accounts, checks them and adds each such cell to the report's problems
(`gateway_service.proxy.people`).

A row keeps the id in the export's id column when it is not in use (so that a round trip
keeps the links between records); an id in use is the row's problem ("already exists"), never
an overwrite, and so is an id twice in one file. Two imports of one file at once: the second
waits for the first's commit on the id's unique index, then reports the ids as existing.

The file is an upload: at most ``ATTACHMENT_MAX_BYTES`` (413) and a workbook as its content
shows (415); at most ``IMPORT_MAX_ROWS`` rows (422), each refusal naming ``file``.
"""

# No `from __future__ import annotations`: FastAPI reads the annotations of the endpoint made
# here.

import functools
import uuid
import zipfile
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from enum import Enum
from typing import Annotated, Any, BinaryIO, TypeVar

from fastapi import APIRouter, File, Query, Request, UploadFile, status
from fastapi.responses import JSONResponse, StreamingResponse
from pydantic import BaseModel, ValidationError
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from obcms_platform.attachments import FILE_FIELD, sniffed_type
from obcms_platform.auth import CurrentPrincipal, Principal
from obcms_platform.authz import Rule
from obcms_platform.errors import (
    AppError,
    ErrorBody,
    ErrorDetail,
    InvalidInputError,
    PayloadTooLargeError,
    UnsupportedMediaTypeError,
    error_responses,
    plain_message,
)
from obcms_platform.exports import (
    XLSX_MEDIA_TYPE,
    Column,
    Export,
    ExportFormat,
    export_response,
)
from obcms_platform.formatting import label
from obcms_platform.limits import IMPORT_SEGMENT
from obcms_platform.person_fields import PersonField, named, person_fields
from obcms_platform.resource_routes import Write, Writes, endpoint
from obcms_platform.settings import ServiceSettings

# The `Imported.into` of the export's id column: the new record's id, not a schema field.
RECORD_ID = "id"
# The row the headers are in, and so the first row of records, as a spreadsheet numbers them.
HEADER_ROW = 1
# A list in one cell, as the export writes it ("Gender; Peace").
LIST_SEPARATOR = ";"
# PostgreSQL's unique violation: a record with the row's id exists (or was just committed).
UNIQUE_VIOLATION = "23505"

Choice = TypeVar("Choice", bound=Enum)


# --- reading a cell back ---------------------------------------------------------------------


def text(value: Any) -> str:
    """A cell as text: a number as it is written (2026, not 2026.0), a date as yyyy-mm-dd."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == datetime.min.time() else str(value)
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def whole_number(value: Any) -> int:
    """A count or a year: a whole number, written as a number or as digits."""
    if isinstance(value, bool):
        raise ValueError("not a whole number")
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        return int(value.strip())
    raise ValueError(f"{text(value)} is not a whole number")


def amount(value: Any) -> Decimal:
    """An amount: a number (Excel's, read back exactly as written) or a numeric text, its
    thousands separated by commas or not."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return Decimal(str(value))
    try:
        return Decimal(str(value).replace(",", "").strip())
    except InvalidOperation:
        raise ValueError(f"{text(value)} is not an amount") from None


def day(value: Any) -> date:
    """A date: a date cell, or a text yyyy-mm-dd."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value).strip())
    except ValueError:
        raise ValueError(f"{text(value)} is not a date (yyyy-mm-dd)") from None


def identifier(value: Any) -> uuid.UUID:
    """An id, as the export writes it."""
    try:
        return uuid.UUID(str(value).strip())
    except ValueError:
        raise ValueError(f"{text(value)} is not an id") from None


def choice(vocabulary: type[Choice]) -> Callable[[Any], Choice]:
    """A code of `vocabulary` from its label as the export writes it ("Not started"), or
    from the code itself; any case."""
    known = {label(member).casefold(): member for member in vocabulary}
    known.update({str(member.value).casefold(): member for member in vocabulary})
    allowed = ", ".join(label(member) for member in vocabulary)

    def read(value: Any) -> Choice:
        found = known.get(text(value).strip().casefold())
        if found is None:
            raise ValueError(f"{text(value)} is not one of: {allowed}")
        return found

    return read


def listed(item: Callable[[Any], Any]) -> Callable[[Any], list[Any]]:
    """A list in one cell, its items separated by semicolons, each read by `item`."""

    def read(value: Any) -> list[Any]:
        return [item(part.strip()) for part in text(value).split(LIST_SEPARATOR) if part.strip()]

    return read


# --- the report --------------------------------------------------------------------------------


class ImportProblem(BaseModel):
    """Why a row (as the spreadsheet numbers it; 1 is the headers) cannot be imported, in
    the column with this header (None: the row as a whole)."""

    row: int
    column: str | None
    message: str


class NamedPerson(BaseModel):
    """A person a row names: the user id in the cell of the row (numbered as `ImportProblem`)
    under the column with this header."""

    row: int
    column: str
    user_id: uuid.UUID


class ImportReport(BaseModel):
    """What an import found: the rows read (blank ones skipped), those without a problem, the
    records created (none on a dry run or when any row has a problem) and their ids, every
    problem, the columns of the sheet that are not imported (computed or read-only), and the
    people the rows name (for the gateway to check against its accounts)."""

    dry_run: bool
    rows: int
    valid_rows: int
    imported: int
    ids: list[uuid.UUID]
    errors: list[ImportProblem]
    ignored_columns: list[str]
    people: list[NamedPerson] = []


class ImportRefused(BaseModel):
    """The answer of an import with problems (422): the error format, and the report (none
    when the request itself is refused: a form without its file, a sheet over the limit)."""

    error: ErrorBody
    report: ImportReport | None = None


# --- reading a workbook ------------------------------------------------------------------------


@dataclass(frozen=True)
class Import:
    """How a collection is imported: the layout of its `export`, its create `schema`, and
    `create(session, data, principal, record_id=)`, the service function of its create route
    (the id: the row's, or None for a new one). `what` names one record ("PPA")."""

    export: Export
    schema: type[BaseModel]
    create: Callable[..., Any]
    what: str


@dataclass
class _Sheet:
    """A sheet's columns as its header row places them, and the problems of that row."""

    filled: dict[int, Column] = field(default_factory=dict)
    ignored: list[str] = field(default_factory=list)
    problems: list[ImportProblem] = field(default_factory=list)
    missing: set[str] = field(default_factory=set)


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _place_columns(importer: Import, headers: Sequence[Any]) -> _Sheet:
    """Which column of the sheet fills which field: a header the export does not write, or
    writes twice, is a problem of row 1; so is a required field without its column."""
    sheet = _Sheet()
    by_header = {column.header.casefold(): column for column in importer.export.columns}
    seen: set[str] = set()
    for index, header in enumerate(headers):
        if _blank(header):
            continue
        name = text(header).strip()
        column = by_header.get(name.casefold())
        if column is None:
            sheet.problems.append(
                ImportProblem(
                    row=HEADER_ROW,
                    column=name,
                    message=f"not a column of the {importer.export.name} export",
                )
            )
        elif column.header in seen:
            sheet.problems.append(
                ImportProblem(row=HEADER_ROW, column=name, message="the column is there twice")
            )
        elif column.imported is None:
            sheet.ignored.append(column.header)
        else:
            sheet.filled[index] = column
        seen.add(column.header if column else name)
    placed = {column.imported.into for column in sheet.filled.values() if column.imported}
    for column in importer.export.columns:
        imported = column.imported
        if imported is None or imported.into in placed or imported.into == RECORD_ID:
            continue
        if importer.schema.model_fields[imported.into].is_required():
            sheet.missing.add(imported.into)
            sheet.problems.append(
                ImportProblem(row=HEADER_ROW, column=column.header, message="the column is missing")
            )
    return sheet


def _open_rows(content: BinaryIO) -> Iterator[tuple[Any, ...]]:
    """The rows of the workbook's first sheet, read as they come (read-only mode)."""
    # Imported here: openpyxl brings numpy and Pillow, about 20 MB in every API worker of a
    # service with imports, for a page that is used now and then.
    import openpyxl

    content.seek(0)
    try:
        workbook = openpyxl.load_workbook(content, read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as exc:
        raise UnsupportedMediaTypeError(
            f"{FILE_FIELD}: not a readable Excel workbook ({exc})", field=FILE_FIELD
        ) from None
    try:
        yield from workbook.worksheets[0].iter_rows(values_only=True)
    finally:
        workbook.close()


@dataclass(frozen=True)
class _Row:
    number: int
    cells: tuple[Any, ...]


def _data_rows(rows: Iterator[tuple[Any, ...]], max_rows: int) -> list[_Row]:
    """The rows after the headers that hold anything; 422 naming `file` past `max_rows`."""
    found = []
    for number, cells in enumerate(rows, start=HEADER_ROW + 1):
        if all(_blank(value) for value in cells):
            continue
        found.append(_Row(number, cells))
        if len(found) > max_rows:
            raise InvalidInputError(
                f"{FILE_FIELD}: the sheet has more than {max_rows} rows; import at most "
                f"{max_rows} at a time",
                field=FILE_FIELD,
            )
    return found


@dataclass(frozen=True)
class _Parsed:
    data: BaseModel
    record_id: uuid.UUID | None


def _parse(importer: Import, sheet: _Sheet, row: _Row) -> _Parsed | list[ImportProblem]:
    """The row as the create schema, or every problem of its cells (none of its own when
    its only fault is a column the header row misses, a problem of row 1)."""
    headers = {}
    values: dict[str, Any] = {}
    problems = []
    for index, column in sheet.filled.items():
        imported = column.imported
        assert imported is not None  # only imported columns are filled
        headers[imported.into] = column.header
        value = row.cells[index] if index < len(row.cells) else None
        if _blank(value):
            continue
        try:
            values[imported.into] = imported.read(value)
        except ValueError as exc:
            problems.append(ImportProblem(row=row.number, column=column.header, message=str(exc)))
    record_id = values.pop(RECORD_ID, None)
    unread = {problem.column for problem in problems}
    try:
        data = importer.schema.model_validate(values)
    except ValidationError as exc:
        for error in exc.errors():
            name = str(error["loc"][0]) if error["loc"] else None
            header = headers.get(name or "")
            if name in sheet.missing or header in unread:
                continue
            missing = error["type"] == "missing"
            problems.append(
                ImportProblem(
                    row=row.number,
                    column=header,
                    message="required: the cell is empty" if missing else plain_message(error),
                )
            )
        return problems
    return problems if problems else _Parsed(data, record_id)


@functools.cache
def _person_fields(schema: type[BaseModel]) -> tuple[PersonField, ...]:
    """The fields of a create schema naming people (as its OpenAPI document marks them)."""
    described = schema.model_json_schema()
    return person_fields(described, described.get("$defs", {}))


def _named_people(importer: Import, sheet: _Sheet, row: _Row) -> Iterator[NamedPerson]:
    """The people the row's cells name in the create schema's person fields (a cell that
    cannot be read is a problem of its own, and names nobody)."""
    fields = _person_fields(importer.schema)
    for index, column in sheet.filled.items():
        imported = column.imported
        assert imported is not None  # only imported columns are filled
        marked = [each for each in fields if each.steps[:1] == (imported.into,)]
        value = row.cells[index] if index < len(row.cells) else None
        if not marked or _blank(value):
            continue
        try:
            body = {imported.into: imported.read(value)}
        except ValueError:
            continue
        for person_field in marked:
            for _, person in named(body, person_field.steps):
                yield NamedPerson(row=row.number, column=column.header, user_id=person)


def _id_header(importer: Import) -> str | None:
    for column in importer.export.columns:
        if column.imported is not None and column.imported.into == RECORD_ID:
            return column.header
    return None


def _header_of(importer: Import, name: str | None) -> str | None:
    for column in importer.export.columns:
        if column.imported is not None and column.imported.into == name:
            return column.header
    return None


def _create(
    session: Session, importer: Import, parsed: _Parsed, principal: Principal, number: int
) -> uuid.UUID | list[ImportProblem]:
    """Create the row's record in a savepoint: the record's id, or the row's problems (the
    savepoint rolled back, the transaction going on with the next row)."""
    try:
        with session.begin_nested():
            record = importer.create(session, parsed.data, principal, record_id=parsed.record_id)
            record_id: uuid.UUID = record.id
            return record_id
    except IntegrityError as exc:
        if getattr(exc.orig, "sqlstate", None) == UNIQUE_VIOLATION:
            message = (
                f"a {importer.what} with the id {parsed.record_id} already exists: an import "
                "adds new records (clear the id to add this row as a new one; change an "
                "existing one on its page)"
            )
            return [ImportProblem(row=number, column=_id_header(importer), message=message)]
        return [ImportProblem(row=number, column=None, message="violates a data rule")]
    except AppError as exc:
        return [
            ImportProblem(
                row=number, column=_header_of(importer, problem.field), message=problem.message
            )
            for problem in exc.problems()
        ]


def import_rows(
    session: Session,
    importer: Import,
    content: BinaryIO,
    principal: Principal,
    *,
    max_rows: int,
) -> tuple[ImportReport, list[uuid.UUID]]:
    """Create a record of every row of the workbook `content` in `session`: the report (as
    of a dry run) and the ids of the records created, uncommitted (the caller commits when
    the report has no problem and this is no dry run, and rolls back otherwise)."""
    rows = _open_rows(content)
    sheet = _place_columns(importer, next(rows, ()))
    problems = list(sheet.problems)
    data_rows = _data_rows(rows, max_rows)
    created: list[uuid.UUID] = []
    people: list[NamedPerson] = []
    first_row_of: dict[uuid.UUID, int] = {}
    for row in data_rows:
        people.extend(_named_people(importer, sheet, row))
        parsed = _parse(importer, sheet, row)
        if not isinstance(parsed, _Parsed):
            problems.extend(parsed)
            continue
        if parsed.record_id is not None:
            earlier = first_row_of.setdefault(parsed.record_id, row.number)
            if earlier != row.number:
                message = f"the same id as row {earlier}"
                problems.append(
                    ImportProblem(row=row.number, column=_id_header(importer), message=message)
                )
                continue
        outcome = _create(session, importer, parsed, principal, row.number)
        if isinstance(outcome, list):
            problems.extend(outcome)
        else:
            created.append(outcome)
    return ImportReport(
        dry_run=True,
        rows=len(data_rows),
        valid_rows=len(created),
        imported=0,
        ids=[],
        errors=sorted(problems, key=lambda problem: problem.row),
        ignored_columns=sheet.ignored,
        people=people,
    ), created


def _checked_upload(given: UploadFile, max_bytes: int) -> BinaryIO:
    """The uploaded workbook: 422 when empty, 413 over `max_bytes`, 415 when its content is
    not an Excel workbook (whatever its name says)."""
    content = given.file
    content.seek(0, 2)
    size = content.tell()
    if size == 0:
        raise InvalidInputError(f"{FILE_FIELD}: the file is empty", field=FILE_FIELD)
    if size > max_bytes:
        raise PayloadTooLargeError(
            f"{FILE_FIELD}: the file is larger than the limit of {max_bytes} bytes",
            field=FILE_FIELD,
        )
    found = sniffed_type(content, given.content_type)
    if found != XLSX_MEDIA_TYPE:
        raise UnsupportedMediaTypeError(
            f"{FILE_FIELD}: not an Excel workbook (.xlsx) but {found}", field=FILE_FIELD
        )
    return content


def import_route(router: APIRouter, importer: Import, rule: Rule) -> None:
    """``POST /import`` on the collection's `router`: the workbook's records created as one
    transaction under `rule`, or checked only; and ``GET /import/template``, the empty
    workbook to fill in."""
    plural = importer.export.name

    def handle(
        request: Request, write: Write, file: UploadFile, dry_run: bool
    ) -> ImportReport | JSONResponse:
        settings: ServiceSettings = request.app.state.settings
        content = _checked_upload(file, settings.attachment_max_bytes)
        report, created = import_rows(
            write.session,
            importer,
            content,
            write.principal,
            max_rows=settings.import_max_rows,
        )
        report.dry_run = dry_run
        if dry_run or report.errors:
            write.session.rollback()
        if report.errors and not dry_run:
            return _refused(report)
        if not dry_run:
            write.session.commit()
            report.imported, report.ids = len(created), created
            write.response.status_code = status.HTTP_201_CREATED
        return report

    router.add_api_route(
        f"/{IMPORT_SEGMENT}",
        endpoint(
            handle,
            ("request", Request),
            ("write", Annotated[Write, Writes(rule, if_match=False)]),
            (
                "file",
                Annotated[UploadFile, File(description=f"an Excel workbook of {plural}")],
            ),
            (
                "dry_run",
                Annotated[bool, Query(description="check every row and report, writing nothing")],
                False,
            ),
        ),
        methods=["POST"],
        name=f"import_{plural}",
        response_model=ImportReport,
        responses={
            201: {"model": ImportReport, "description": "every row imported"},
            **error_responses(413, 415),
            422: {"model": ImportRefused, "description": "a row has a problem: none imported"},
        },
        description=(
            f"Create {plural} from an Excel workbook laid out as the list's export "
            "(multipart form field `file`): every row, or none. With `dry_run=true`, 200 with "
            "the report of every row's problems and nothing written; otherwise 201 with the "
            "ids created, or 422 with the report. 413 over the upload size limit, 415 when "
            "the file is not a workbook, 422 naming `file` past the row limit."
        ),
    )

    def template(principal: Principal) -> StreamingResponse:
        """Any signed-in caller's (`principal`): the layout is no secret of the records."""
        columns = [column for column in importer.export.columns if column.imported]
        return export_response(
            importer.export,
            ExportFormat.XLSX,
            [],
            today=principal.today(),
            title=plural.replace("_", " ").capitalize(),
            columns=columns,
        )

    router.add_api_route(
        f"/{IMPORT_SEGMENT}/template",
        endpoint(template, ("principal", CurrentPrincipal)),
        methods=["GET"],
        name=f"{plural}_import_template",
        response_class=StreamingResponse,
        responses={200: {"content": {XLSX_MEDIA_TYPE: {"schema": {"type": "string"}}}}},
        description=(
            f"An empty Excel workbook of {plural} to fill in: the header row of the columns "
            "an import reads (the export's, less those the service sets)."
        ),
    )


def _refused(report: ImportReport) -> JSONResponse:
    return JSONResponse(refusal(report).model_dump(mode="json"), status_code=422)


def refusal(report: ImportReport) -> ImportRefused:
    """The answer (422) of an import that has problems: nothing imported."""
    rows = len({problem.row for problem in report.errors})
    message = f"{FILE_FIELD}: {len(report.errors)} problems in {rows} rows; nothing was imported"
    return ImportRefused(
        error=ErrorBody(
            status=422,
            code="import_refused",
            message=message,
            field=FILE_FIELD,
            details=[
                ErrorDetail(field=problem.column, message=f"row {problem.row}: {problem.message}")
                for problem in report.errors
            ],
        ),
        report=report,
    )
