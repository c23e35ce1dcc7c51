"""Exports of a list as CSV or Excel: every matching row, streamed.

A list route that declares an `Export` answers ``?format=csv`` and ``?format=xlsx`` (and
``json``, the page of the list, by default) from the same filters model and the same query as
its JSON page: all the rows that match, not one page (``limit`` and ``offset`` are refused
with the format, not silently ignored). The rows are read with a server-side cursor,
`ROWS_PER_FETCH` at a time, and written out as they come, so an export of 100,000 rows holds
one fetch in memory, not the list:

- CSV (RFC 4180, the `csv` module) is UTF-8 with a byte order mark, so that Excel reads its
  accents; each fetch's rows go out as one chunk of the response.
- Excel is written by xlsxwriter in `constant_memory` mode (each row goes to a temporary file
  once the next starts; strings inline, not in a shared table) and then sent in chunks: an
  xlsx is a zip, whose directory is known only at the end, so its first byte leaves once the
  last row is written.

Each resource declares its columns once (`Column`): a header in words, the value of a row and,
for a column an import fills (`obcms_platform.imports`), how its cell is read back (`Imported`).
Values are written as people read them: codes as their labels ("Not started"), dates and
date-times as dates in Excel (typed cells; in the requester's time zone, the office's when
they have none), amounts and counts as numbers, people
and teams by name (a `named` column, through the export's `directory`), other ids as text.
A text that a spreadsheet would take for a formula (``=``, ``+``, ``-``, ``@``) is written as
text: in CSV behind an apostrophe, in Excel as a string cell.
"""

from __future__ import annotations

import csv
import io
import tempfile
import uuid
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from operator import attrgetter
from typing import IO, Any
from zoneinfo import ZoneInfo

from fastapi.responses import StreamingResponse
from pydantic import BaseModel
from sqlalchemy import Select
from sqlalchemy.orm import Session, lazyload

from obcms_platform.auth import Principal
from obcms_platform.formatting import OFFICE_ZONE, label
from obcms_platform.vocabulary import ExportFormat as ExportFormat

# Rows fetched from the server-side cursor at a time, and written out as one CSV chunk.
ROWS_PER_FETCH = 1_000
# The bytes of a finished workbook sent at a time.
FILE_CHUNK_BYTES = 64 * 1024

CSV_MEDIA_TYPE = "text/csv; charset=utf-8"
XLSX_MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# A spreadsheet reads a cell starting with one of these as a formula (OWASP "CSV injection").
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")

DATE_FORMAT = "yyyy-mm-dd"
MOMENT_FORMAT = "yyyy-mm-dd hh:mm"
AMOUNT_FORMAT = "#,##0.00"
# A column's width in characters: its header's or its longest cell's (a title is read whole,
# not cut at the default 8.43), at least a date's, at most `WIDEST_COLUMN`: a longer text
# wraps within it.
NARROWEST_COLUMN, WIDEST_COLUMN = 10, 60


# A cell's value: what a `Column` gives, written as its type says (None: an empty cell).
Cell = str | int | float | Decimal | date | datetime | None


# How an import reads a cell back: its value as the workbook holds it (never empty: an empty
# cell leaves the field out) → the value of the create schema's field; ValueError, in words
# a person reads beside the cell, when it cannot be read.
CellReader = Callable[[Any], Any]


@dataclass(frozen=True)
class Imported:
    """What an import makes of a column: the create schema's field `into` (or the record's
    id, `imports.RECORD_ID`), read by `read`."""

    into: str
    read: CellReader


@dataclass(frozen=True)
class Column:
    """One column of an export: its `header` in words and the `value` of a row (a record, or
    the read model the list answers when the resource presents its records per caller); and
    `imported`, how an import fills a field from it (None: a computed or read-only column,
    which an import ignores)."""

    header: str
    value: Callable[[Any], object]
    imported: Imported | None = None
    # Its value is an id or ids of people, teams or other records the export's directory
    # names (a task's PPA), written as their names (`named`).
    names_ids: bool = False


def field(name: str, header: str, read: CellReader | None = None) -> Column:
    """The column of a row's attribute `name`; with `read`, an import fills the field `name`
    with what `read` makes of the cell."""
    return Column(header, attrgetter(name), Imported(name, read) if read else None)


def named(name: str, header: str) -> Column:
    """The column of a row's attribute `name`, a person's or team's (or another record's) id or
    a list of them, written as their names (an id the export's `directory` does not know stays
    an id)."""
    return Column(header, attrgetter(name), names_ids=True)


# Id -> name of every person and team an export may name.
Names = Mapping[uuid.UUID, str]


@dataclass(frozen=True)
class Export:
    """How a list is exported: the file's `name` (``ppas`` → ``ppas-2026-12-06.csv``), its
    `columns`, `query(session, filters[, principal=])`, the statement of every matching
    row in the list's order (the one its JSON page paginates), and `directory(session)`, the
    names its `named` columns write (read once per file)."""

    name: str
    columns: Sequence[Column]
    query: Callable[..., Select[Any]]
    directory: Callable[[Session], Names] | None = None

    def names(self, session: Session) -> Names:
        """The names this export's `named` columns write: none if it has no such column."""
        if self.directory is None or not any(column.names_ids for column in self.columns):
            return {}
        return self.directory(session)


@dataclass(frozen=True)
class ExportableList:
    """A list whose export may also run as a background job (`obcms_platform.export_jobs`):
    its `export`, its `filters_model`, `query(session, filters, principal=)` (the export's
    statement), `present` (a record as the caller reads it, when the list presents records
    per caller) and the sheet's `title`: what its ``?format=`` download uses."""

    export: Export
    filters_model: type[BaseModel]
    query: Callable[..., Select[Any]]
    present: Callable[[Any, Principal], Any] | None
    title: str

    @property
    def resource(self) -> str:
        return self.export.name


def column_cell(column: Column, record: Any, names: Names, zone: ZoneInfo = OFFICE_ZONE) -> Cell:
    """The cell of `column` in the row of `record` (its moments in `zone`)."""
    value = column.value(record)
    if column.names_ids and value is not None:
        ids = value if isinstance(value, list | tuple | set | frozenset) else (value,)
        return cell([names.get(each, str(each)) for each in ids])
    return cell(value, zone)


def cell(value: object, zone: ZoneInfo = OFFICE_ZONE) -> Cell:
    """`value` as a cell: codes as words, a moment in `zone`'s time (a spreadsheet has no time
    zones: the reader's, as the pages show it), ids and lists as text; nothing (None, an empty
    text) an empty cell."""
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if isinstance(value, Enum):
        return label(value)
    if isinstance(value, datetime):
        moment = value.astimezone(zone) if value.tzinfo else value
        return moment.replace(tzinfo=None, microsecond=0)
    if isinstance(value, int | float | Decimal | date | str):
        return value
    if isinstance(value, list | tuple | set | frozenset):
        return "; ".join(str(cell(item, zone)) for item in value)
    return str(value)


def file_name(export: Export, export_format: ExportFormat, today: date) -> str:
    return f"{export.name}-{today.isoformat()}.{export_format.value}"


def rows(
    open_session: Callable[[], Session],
    statement: Select[Any],
    present: Callable[[Any], Any] | None = None,
) -> Iterator[Any]:
    """The records of `statement` through a server-side cursor, `ROWS_PER_FETCH` at a time,
    each as `present` makes it (when given). The session is the export's own, opened when the
    first row is asked for and closed after the last (or when the download is abandoned):
    the response outlives the route that made it."""
    # Columns read a record's own fields: its collections, loaded with each fetch for a JSON
    # page, stay unloaded unless a column reads one.
    statement = statement.options(lazyload("*")).execution_options(yield_per=ROWS_PER_FETCH)
    with open_session() as session:
        fetched = session.scalars(statement)
        for record in fetched:
            yield present(record) if present is not None else record


def csv_chunks(
    columns: Sequence[Column], records: Iterable[Any], names: Names, zone: ZoneInfo = OFFICE_ZONE
) -> Iterator[bytes]:
    """The CSV file of `records` (people and teams by `names`, moments in `zone`): the header,
    then a chunk per `ROWS_PER_FETCH` rows."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    buffer.write("\N{BYTE ORDER MARK}")
    writer.writerow([column.header for column in columns])
    for written, record in enumerate(records, start=1):
        writer.writerow([_csv_text(column_cell(column, record, names, zone)) for column in columns])
        if written % ROWS_PER_FETCH == 0:
            yield _drained(buffer)
    yield _drained(buffer)


def _drained(buffer: io.StringIO) -> bytes:
    text = buffer.getvalue()
    buffer.seek(0)
    buffer.truncate()
    return text.encode()


def _csv_text(value: Cell) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.isoformat(sep=" ", timespec="minutes")
    if isinstance(value, str):
        return f"'{value}" if value.startswith(FORMULA_STARTS) else value
    return str(value) if not isinstance(value, date) else value.isoformat()


def xlsx_chunks(
    title: str,
    columns: Sequence[Column],
    records: Iterable[Any],
    names: Names,
    zone: ZoneInfo = OFFICE_ZONE,
) -> Iterator[bytes]:
    """The Excel workbook of `records` (one sheet named `title`, its header row frozen and
    filtering;
    people and teams by `names`, moments in `zone`), in chunks once written: in
    constant-memory mode each row leaves memory as the next starts."""
    with tempfile.TemporaryFile() as spool:
        _write_workbook(spool, title, columns, records, names, zone)
        spool.seek(0)
        while chunk := spool.read(FILE_CHUNK_BYTES):
            yield chunk


def _write_workbook(
    spool: IO[bytes],
    title: str,
    columns: Sequence[Column],
    records: Iterable[Any],
    names: Names,
    zone: ZoneInfo,
) -> None:
    # Imported here: about 2 MB in every API worker, for the exports alone.
    import xlsxwriter

    workbook = xlsxwriter.Workbook(spool, {"constant_memory": True})
    header = workbook.add_format({"bold": True})
    day = workbook.add_format({"num_format": DATE_FORMAT})
    moment = workbook.add_format({"num_format": MOMENT_FORMAT})
    amount = workbook.add_format({"num_format": AMOUNT_FORMAT})
    wrapped = workbook.add_format({"text_wrap": True, "valign": "top"})
    sheet = workbook.add_worksheet(title[:31])
    sheet.freeze_panes(1, 0)
    longest = [len(column.header) for column in columns]
    for index, column in enumerate(columns):
        sheet.write_string(0, index, column.header, header)
    row = 0
    for row, record in enumerate(records, start=1):
        for index, column in enumerate(columns):
            value = column_cell(column, record, names, zone)
            if value is None:
                continue
            if isinstance(value, str):
                length = max(map(len, value.splitlines() or [""]))
                long = length > WIDEST_COLUMN or "\n" in value
                sheet.write_string(row, index, value, wrapped if long else None)
            elif isinstance(value, datetime):
                length = len(MOMENT_FORMAT)
                sheet.write_datetime(row, index, value, moment)
            elif isinstance(value, date):
                length = len(DATE_FORMAT)
                sheet.write_datetime(row, index, value, day)
            elif isinstance(value, Decimal):
                length = len(f"{value:,.2f}")
                sheet.write_number(row, index, float(value), amount)
            else:
                length = len(str(value))
                sheet.write_number(row, index, value)
            longest[index] = max(longest[index], length)
    # Set once every row is written (xlsxwriter writes them when it closes the sheet): the
    # header row's filter buttons over every row, and the widths.
    sheet.autofilter(0, 0, row, len(columns) - 1)
    for index, length in enumerate(longest):
        sheet.set_column(index, index, min(max(length + 2, NARROWEST_COLUMN), WIDEST_COLUMN))
    workbook.close()


def export_response(
    export: Export,
    export_format: ExportFormat,
    records: Iterable[Any],
    *,
    today: date,
    title: str,
    columns: Sequence[Column] | None = None,
    names: Names | None = None,
    zone: ZoneInfo = OFFICE_ZONE,
) -> StreamingResponse:
    """The download of `records` in `export_format` (CSV or Excel), streamed; `columns`, when
    given, some of the export's (an import's template: those an import reads); `names`, the
    export's (`Export.names`) when it has `named` columns; moments in `zone` (the requester's)
    and the file named by `today` (their day)."""
    columns = export.columns if columns is None else columns
    names = names or {}
    if export_format is ExportFormat.CSV:
        body, media_type = csv_chunks(columns, records, names, zone), CSV_MEDIA_TYPE
    else:
        body, media_type = xlsx_chunks(title, columns, records, names, zone), XLSX_MEDIA_TYPE
    return StreamingResponse(
        body,
        media_type=media_type,
        headers={
            "Content-Disposition": (
                f'attachment; filename="{file_name(export, export_format, today)}"'
            ),
            "Cache-Control": "private, no-store",
            "X-Content-Type-Options": "nosniff",
        },
    )


# The OpenAPI description of a list route's 200 in every format.
EXPORT_CONTENT: dict[str, Any] = {
    "text/csv": {"schema": {"type": "string"}},
    XLSX_MEDIA_TYPE: {"schema": {"type": "string", "format": "binary"}},
}
