"""One error format for every service.

Every error response body is::

    {"error": {"status": 422, "code": "validation_error", "message": "due_date: ...",
               "field": "due_date", "details": [{"field": ..., "message": ..., "type": ...}]}}

`field` names the input at fault (dotted path, list indices in brackets) or is null.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlalchemy.exc import DataError, DBAPIError, IntegrityError, OperationalError
from sqlalchemy.orm.exc import StaleDataError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.formparsers import MultiPartException

logger = logging.getLogger(__name__)


class ErrorDetail(BaseModel):
    field: str | None = None
    message: str
    type: str | None = None


class ErrorBody(BaseModel):
    status: int
    code: str
    message: str
    field: str | None = None
    details: list[ErrorDetail] = []


class ErrorResponse(BaseModel):
    error: ErrorBody


class AppError(Exception):
    """Base of the errors a service raises on purpose; carries its HTTP status. `details`:
    each input at fault and its problem, when there are several (`InputProblems`)."""

    status_code = 400
    code = "bad_request"

    def __init__(
        self, message: str, *, field: str | None = None, details: Sequence[ErrorDetail] = ()
    ) -> None:
        super().__init__(message)
        self.message = message
        self.field = field
        self.details = list(details)

    def headers(self) -> dict[str, str] | None:
        return None

    def problems(self) -> list[ErrorDetail]:
        """Each problem, its message without the field's name before it: `details`, else
        the one the error is."""
        if self.details:
            return self.details
        prefix = f"{self.field}: " if self.field else ""
        return [ErrorDetail(field=self.field, message=self.message.removeprefix(prefix))]


class InvalidInputError(AppError):
    status_code = 422
    code = "validation_error"


class InputProblems:
    """The problems of one request's input, gathered so that one 422 names every input at
    fault at once (as Pydantic's validation does), not one per request: run each check that
    raises `InvalidInputError` under `check()` (or `add` a problem found), then
    `raise_if_any()`.

    The body is a validation error's: `message` and `field` the first problem's, `details`
    one entry per problem (`field`, `message` without the field's name, `type`). A clash with
    what is stored (a `ConflictError`: a name taken) is gathered too: alone it stays a 409,
    beside malformed input it is one of the 422's problems, so that every one is said."""

    def __init__(self) -> None:
        self.found: list[InvalidInputError | ConflictError] = []

    @contextmanager
    def check(self) -> Iterator[None]:
        """Keep the problem the block raises (an `InvalidInputError` or a `ConflictError`)
        and go on."""
        try:
            yield
        except (InvalidInputError, ConflictError) as problem:
            self.found.append(problem)

    def add(self, field: str, problem: str) -> None:
        """`field` is at fault: `problem` says why."""
        self.found.append(InvalidInputError(f"{field}: {problem}", field=field))

    def raise_if_any(self) -> None:
        if not self.found:
            return
        first = self.found[0]
        details = [
            ErrorDetail(
                field=detail.field,
                message=detail.message,
                type=problem.code if isinstance(problem, ConflictError) else "value_error",
            )
            for problem in self.found
            for detail in problem.problems()
        ]
        clashes_only = all(isinstance(problem, ConflictError) for problem in self.found)
        kind = ConflictError if clashes_only else InvalidInputError
        raise kind(first.message, field=first.field, details=details)


class UnauthorizedError(AppError):
    status_code = 401
    code = "unauthorized"

    def headers(self) -> dict[str, str]:
        return {"WWW-Authenticate": "Bearer"}


class ForbiddenError(AppError):
    status_code = 403
    code = "forbidden"


class NotFoundError(AppError):
    status_code = 404
    code = "not_found"

    def __init__(self, resource: str, key: object, *, field: str | None = None) -> None:
        super().__init__(f"{resource} {key} not found", field=field)


class ConflictError(AppError):
    status_code = 409
    code = "conflict"


class PayloadTooLargeError(AppError):
    status_code = 413
    code = "payload_too_large"


class UnsupportedMediaTypeError(AppError):
    status_code = 415
    code = "unsupported_media_type"


class PreconditionFailedError(AppError):
    status_code = 412
    code = "precondition_failed"


class ServiceUnavailableError(AppError):
    status_code = 503
    code = "service_unavailable"


def field_path(loc: Sequence[int | str]) -> str | None:
    """('body', 'items', 0, 'title') -> 'items[0].title'; the request part is dropped, and
    so is pydantic's ``[key]`` after a refused key of a mapping (``channels.pigeon``). A
    query parameter, header or cookie is named alone: the place of a repeated value
    (`?id=…&id=…`) is no index a caller could see."""
    parts = list(loc)
    if parts and parts[0] in {"query", "header", "cookie"}:
        parts = parts[1:2]
    elif parts and parts[0] in {"body", "path"}:
        parts = parts[1:]
    path = ""
    for part in parts:
        if part == "[key]":  # pydantic's marker of a refused mapping key: the key names it
            continue
        if isinstance(part, int):
            path += f"[{part}]"
        else:
            path += f".{part}" if path else str(part)
    return path or None


def error_response(
    status: int,
    code: str,
    message: str,
    *,
    field: str | None = None,
    details: list[ErrorDetail] | None = None,
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    body = ErrorResponse(
        error=ErrorBody(
            status=status, code=code, message=message, field=field, details=details or []
        )
    )
    return JSONResponse(body.model_dump(), status_code=status, headers=headers)


def app_error_response(exc: AppError) -> JSONResponse:
    """The error format for an error a service raised on purpose."""
    return error_response(
        exc.status_code,
        exc.code,
        exc.message,
        field=exc.field,
        details=exc.details,
        headers=exc.headers(),
    )


def _constraint_field(exc: DBAPIError) -> str | None:
    diag = getattr(exc.orig, "diag", None)
    column = getattr(diag, "column_name", None)
    if column:
        return str(column)
    constraint = getattr(diag, "constraint_name", None) or ""
    # Our naming convention ends unique/check constraint names with the column(s).
    for prefix in ("uq_", "ck_", "fk_", "ex_"):
        if constraint.startswith(prefix):
            return constraint.split("__", 1)[-1] if "__" in constraint else None
    return None


# FastAPI answers a JSON body it cannot decode (not UTF-8, nested beyond the parser's
# recursion limit...) with this 400; it is bad input like any other: 422 naming the body.
_BODY_PARSE_FAILURE = "There was an error parsing the body"


HTTP_ERROR_CODES = {404: "not_found", 405: "method_not_allowed", 413: "payload_too_large"}


def _unreadable_body(exc: StarletteHTTPException) -> str | None:
    if exc.status_code == 400 and isinstance(exc.__context__, MultiPartException):
        # Starlette's 400 for a multipart form it cannot parse (an attachment upload's).
        return f"body: not a readable multipart form ({exc.detail})"
    if exc.status_code != 400 or exc.detail != _BODY_PARSE_FAILURE:
        return None
    if isinstance(exc.__cause__, UnicodeDecodeError):
        return "body: must be UTF-8 encoded JSON"
    if isinstance(exc.__cause__, RecursionError):
        return "body: the JSON is nested too deeply"
    return "body: cannot be parsed as JSON"


def http_error_response(exc: StarletteHTTPException) -> JSONResponse:
    """The error format for Starlette's and FastAPI's own HTTP errors (404, 405, bad body)."""
    if message := _unreadable_body(exc):
        return error_response(422, "validation_error", message, field="body")
    code = HTTP_ERROR_CODES.get(exc.status_code, "http_error")
    # A body over the size limit names the body, or the file of an upload (`limits`).
    field = getattr(exc, "field", "body") if exc.status_code == 413 else None
    return error_response(
        exc.status_code, code, str(exc.detail), field=field, headers=getattr(exc, "headers", None)
    )


def _characters_or_items(error: Mapping[str, Any]) -> str:
    return "characters" if isinstance(error.get("input"), str) else "items"


def _at_least(error: Mapping[str, Any]) -> str:
    least = error.get("ctx", {}).get("min_length")
    if least in (None, 1):
        return "must not be empty"
    return f"must be at least {least} {_characters_or_items(error)} long"


# Pydantic's messages as a person would say them ("String should have at most 300
# characters" is "must be at most 300 characters long"); by the error's type, its limits
# from its context. A type not listed keeps Pydantic's message.
_PLAIN: dict[str, Callable[[Mapping[str, Any]], str]] = {
    "missing": lambda error: "is required",
    "string_too_short": _at_least,
    "too_short": _at_least,
    "string_too_long": lambda error: (
        f"must be at most {error['ctx']['max_length']} characters long"
    ),
    "too_long": lambda error: (
        f"must be at most {error['ctx']['max_length']} {_characters_or_items(error)} long"
    ),
    "int_parsing": lambda error: "must be a whole number",
    "int_type": lambda error: "must be a whole number",
    "int_from_float": lambda error: "must be a whole number",
    "float_parsing": lambda error: "must be a number",
    "float_type": lambda error: "must be a number",
    "decimal_parsing": lambda error: "must be a number",
    "decimal_type": lambda error: "must be a number",
    "bool_parsing": lambda error: "must be true or false",
    "date_parsing": lambda error: "must be a date, e.g. 2026-12-14",
    "date_from_datetime_parsing": lambda error: "must be a date, e.g. 2026-12-14",
    "datetime_parsing": lambda error: "must be a date and time, e.g. 2026-12-14T09:00",
    "datetime_from_date_parsing": lambda error: "must be a date and time, e.g. 2026-12-14T09:00",
    "uuid_parsing": lambda error: "must be an id (a UUID)",
    "greater_than_equal": lambda error: f"must be at least {error['ctx']['ge']}",
    "greater_than": lambda error: f"must be more than {error['ctx']['gt']}",
    "less_than_equal": lambda error: f"must be at most {error['ctx']['le']}",
    "less_than": lambda error: f"must be less than {error['ctx']['lt']}",
    "extra_forbidden": lambda error: "is not a field that can be set here",
    "string_pattern_mismatch": lambda error: "is not written the way it should be",
    "time_parsing": lambda error: "must be a time of day, e.g. 07:30",
    "time_type": lambda error: "must be a time of day, e.g. 07:30",
    "date_type": lambda error: "must be a date, e.g. 2026-12-14",
    "datetime_type": lambda error: "must be a date and time, e.g. 2026-12-14T09:00",
    "bool_type": lambda error: "must be true or false",
    "string_type": lambda error: "must be text",
    "list_type": lambda error: "must be a list",
    "dict_type": lambda error: "must be an object of names and values",
    "enum": lambda error: f"must be one of {error['ctx']['expected']}",
    "literal_error": lambda error: f"must be one of {error['ctx']['expected']}",
}


def plain_message(error: Mapping[str, Any]) -> str:
    """A Pydantic error (one of `ValidationError.errors()`) in words, without its field."""
    plain = _PLAIN.get(str(error.get("type")))
    try:
        if plain is not None:
            return plain(error)
    except (KeyError, TypeError):
        pass  # a context without the limit: Pydantic's own words
    return str(error.get("msg", "invalid value")).removeprefix("Value error, ")


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(AppError)
    async def _app_error(_: Request, exc: AppError) -> JSONResponse:
        return app_error_response(exc)

    @app.exception_handler(RequestValidationError)
    async def _validation(_: Request, exc: RequestValidationError) -> JSONResponse:
        details = [
            ErrorDetail(
                field=field_path(err.get("loc", ())) or "body",
                message=plain_message(err),
                type=err.get("type"),
            )
            for err in exc.errors()
        ]
        first = details[0] if details else ErrorDetail(field=None, message="invalid input")
        message = f"{first.field}: {first.message}" if first.field else first.message
        return error_response(422, "validation_error", message, field=first.field, details=details)

    @app.exception_handler(StarletteHTTPException)
    async def _http(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        return http_error_response(exc)

    @app.exception_handler(IntegrityError)
    async def _integrity(_: Request, exc: IntegrityError) -> JSONResponse:
        sqlstate = getattr(exc.orig, "sqlstate", None)
        field = _constraint_field(exc)
        if sqlstate in {"23505", "23P01"}:
            label = field or "value"
            return error_response(409, "conflict", f"{label}: already exists", field=field)
        if sqlstate == "23503":
            return error_response(
                422,
                "validation_error",
                f"{field or 'reference'}: refers to a missing record",
                field=field,
            )
        return error_response(
            422, "validation_error", f"{field or 'input'}: violates a data rule", field=field
        )

    @app.exception_handler(DataError)
    async def _data(_: Request, exc: DataError) -> JSONResponse:
        # Input the database cannot represent (out-of-range number, bad encoding...).
        logger.warning("data error: %s", exc.orig)
        return error_response(422, "validation_error", "input: a value cannot be stored")

    @app.exception_handler(StaleDataError)
    async def _stale(_: Request, exc: StaleDataError) -> JSONResponse:
        return error_response(
            409, "conflict", "the record was changed by another request; reload and retry"
        )

    @app.exception_handler(OperationalError)
    async def _db_down(_: Request, exc: OperationalError) -> JSONResponse:
        logger.warning("database unavailable: %s", exc.orig)
        return error_response(
            503,
            "service_unavailable",
            "database unavailable; try again shortly",
            headers={"Retry-After": "5"},
        )

    @app.exception_handler(Exception)
    async def _unexpected(_: Request, exc: Exception) -> JSONResponse:
        logger.exception("unhandled error", exc_info=exc)
        return error_response(500, "internal_error", "internal server error")


def error_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI `responses=` entry documenting the error format for the given statuses."""
    return {status: {"model": ErrorResponse} for status in statuses}
