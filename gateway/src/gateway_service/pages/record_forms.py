"""The portfolio forms' inputs (PPA, assessment, need, milestone, tranche): each field's kind,
its check with human wording, the service's refusals placed beside the input at fault, and
who may change a record (to offer only the buttons that work); and the one way records are
listed (a page of them), created, saved (If-Match; a stale save names who changed it) and
deleted (asked first).

An edit sends only what the person changed and a stale one comes back merged with the
colleague's change (`common.read_state`, `changed_inputs`, `merged_form`).

Every input is checked here so that all errors show at once, each beside its field; the
service stays the judge of the rest (its refusals are mapped back onto the inputs). Nothing
typed is dropped: a value that cannot be read is an error, never an omitted field.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any, Literal
from urllib.parse import urlencode

from fastapi import Request
from starlette.responses import Response

from gateway_service.auth.identity import Identity
from gateway_service.pages.common import (
    Reply,
    api,
    changed_inputs,
    download,
    fetch,
    fetch_page,
    if_match,
    is_manager,
    merged_form,
    query_filters,
    read_form,
    redirect,
    refusal_errors,
    who_changed,
)
from gateway_service.pages.exports import background_export
from gateway_service.web import render
from obcms_platform.errors import ForbiddenError
from obcms_platform.formatting import format_day
from obcms_platform.schemas import EARLIEST_DATE, LATEST_DATE

SERVICE = "portfolio"  # the service every record of these forms lives in

Kind = Literal[
    "text",
    "choice",
    "year",
    "amount",
    "signed_amount",
    "measure",
    "date",
    "number",
    "percent",
    "id",
]

# The portfolio service's bounds (portfolio_service/fields.py), repeated so that every error
# shows at once; the service checks them again.
FIRST_YEAR, LAST_YEAR = 1970, 2199
MAX_AMOUNT = Decimal("999999999999.99")  # Numeric(14, 2)
AMOUNT_SEPARATORS = re.compile(r"[,\s_]")
PLAIN_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)")


@dataclass(frozen=True)
class Field:
    """One input of a form: `name` as the service calls it, `title` as people read it."""

    name: str
    title: str
    kind: Kind = "text"
    required: bool = False
    choices: tuple[str, ...] = ()
    max_length: int = 300
    low: int = 0
    high: int = 1_000_000_000
    clearable: bool = False  # an emptied input clears the value (null) on edit
    # A date input that must not come before the date input of this name (the service's
    # own rule, checked here too so that it shows with the form's other errors).
    not_before: str = ""

    def shown(self, value: object) -> str:
        """The record's `value` as this input shows it to be edited: an amount as people
        write it ("1,500,000.00", which the form reads back), not as JSON has it (1500000.0)."""
        if value is None:
            return ""
        if self.kind in ("amount", "signed_amount"):
            return f"{Decimal(str(value)):,.2f}"
        return str(value)


@dataclass
class Parsed:
    """The service's payload and the errors by input name (empty when all is well)."""

    payload: dict[str, Any] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)


def _amount(
    text: str, title: str, signed: bool, *, money: bool = True
) -> tuple[str | None, str | None]:
    """(the amount as the service reads it, the error): "1,500,000" is 1500000. Not `money`:
    a measured value (an indicator's), with the same bounds."""
    example = f"{title} must be a number, e.g. {'1,500,000' if money else '250'}"
    digits = AMOUNT_SEPARATORS.sub("", text.removeprefix("₱"))
    # Written as people write amounts: not "1e6", which Decimal would read as a million.
    if not PLAIN_NUMBER.fullmatch(digits):
        return None, example
    try:
        value = Decimal(digits)
    except InvalidOperation:
        return None, example
    if not value.is_finite():
        return None, example
    if value < 0 and not signed:
        return None, f"{title} cannot be negative"
    if abs(value) > MAX_AMOUNT:
        return None, f"{title} is too large (at most 999,999,999,999.99)"
    if value != value.quantize(Decimal("0.01")):
        return None, f"{title} may have at most two decimals" + (" (centavos)" if money else "")
    return str(value), None


def _check(spec: Field, text: str) -> tuple[Any, str | None]:
    """(the service's value, the error) of a non-empty input."""
    if spec.kind == "text":
        if len(text) > spec.max_length:
            return None, f"{spec.title} may have at most {spec.max_length} characters"
        return text, None
    if spec.kind == "choice":
        if text not in spec.choices:
            return None, f"Choose a {spec.title.lower()} from the list"
        return text, None
    if spec.kind == "year":
        if not text.isdigit() or not FIRST_YEAR <= int(text) <= LAST_YEAR:
            return None, f"{spec.title} must be a four-digit year, e.g. {date.today().year}"
        return int(text), None
    if spec.kind in ("amount", "signed_amount"):
        return _amount(text, spec.title, signed=spec.kind == "signed_amount")
    if spec.kind == "measure":
        return _amount(text, spec.title, signed=True, money=False)
    if spec.kind == "date":
        try:
            day = date.fromisoformat(text)
        except ValueError:
            return None, f"{spec.title} must be a date, e.g. {date.today().isoformat()}"
        if not EARLIEST_DATE <= day <= LATEST_DATE:
            return None, (
                f"{spec.title} must be between {format_day(EARLIEST_DATE)} and "
                f"{format_day(LATEST_DATE)}"
            )
        return day.isoformat(), None
    if spec.kind in ("number", "percent"):
        # A percentage as people write it too: "30 %" is 30.
        plain = AMOUNT_SEPARATORS.sub(
            "", text.removesuffix("%") if spec.kind == "percent" else text
        )
        if not plain.isdigit() or not spec.low <= int(plain) <= spec.high:
            return None, f"{spec.title} must be a whole number from {spec.low:,} to {spec.high:,}"
        return int(plain), None
    try:  # id: a person, an assessment...
        return str(uuid.UUID(text)), None
    except ValueError:
        return None, f"Choose the {spec.title.lower()} from the list"


def parse(form: Mapping[str, str], specs: Iterable[Field], *, edit: bool = False) -> Parsed:
    """Check every input of `specs` in `form`. A new record omits empty inputs (the service's
    defaults apply); an edit sends what was submitted, an emptied optional input as null
    (`clearable`) or "" (text)."""
    specs = tuple(specs)
    parsed = Parsed()
    for spec in specs:
        if edit and spec.name not in form:
            continue
        text = form.get(spec.name, "")
        if not text:
            if spec.required:
                verb = "Choose a" if spec.kind == "choice" else "Give the"
                parsed.errors[spec.name] = f"{verb} {spec.title.lower()}"
            elif edit and spec.clearable:
                parsed.payload[spec.name] = None
            elif edit and spec.kind == "text":
                parsed.payload[spec.name] = ""
            continue
        value, error = _check(spec, text)
        if error:
            parsed.errors[spec.name] = error
        else:
            parsed.payload[spec.name] = value
    _check_order(specs, parsed)
    return parsed


def _check_order(specs: Iterable[Field], parsed: Parsed) -> None:
    """Each date given before the one it must not precede (`Field.not_before`, both given
    and read): an error beside it. An edit leaving one out leaves the order to the service."""
    titles = {spec.name: spec.title for spec in specs}
    for spec in specs:
        later, earlier = (parsed.payload.get(name) for name in (spec.name, spec.not_before))
        if spec.not_before and later and earlier and later < earlier:  # ISO dates
            parsed.errors[spec.name] = (
                f"{spec.title} must not be before the {titles[spec.not_before].lower()}"
            )


def people_ids(values: Iterable[object], title: str, parsed: Parsed, name: str) -> None:
    """A people picker's chosen ids into `parsed` (an id that is not one: an error)."""
    chosen = [str(value).strip() for value in values if str(value).strip()]
    ids: list[str] = []
    for value in chosen:
        try:
            ids.append(str(uuid.UUID(value)))
        except ValueError:
            parsed.errors[name] = f"Choose the {title.lower()} from the list of people"
            return
    parsed.payload[name] = list(dict.fromkeys(ids))


def may_change(user: Identity, record: Mapping[str, Any]) -> bool:
    """The portfolio's ownership rules (authz.py) as a page applies them to offer Edit,
    Delete and link buttons: a manager, or an owner of `record` (its creator; a PPA's lead
    and members too). The service stays the judge."""
    owners = {record.get("created_by"), record.get("lead_id"), *record.get("member_ids", ())}
    return is_manager(user) or str(user.id) in owners


def ensure_may_change(user: Identity, record: Mapping[str, Any], thing: str) -> None:
    """Edit and delete pages are for those who may change the record (a 403 page else)."""
    if not may_change(user, record):
        raise ForbiddenError(f"Only its owners or a manager may change or delete this {thing}")


async def changed_since(request: Request, thing: str, record: Mapping[str, Any]) -> str:
    """What a stale save (412) says: who changed `record` (its current state)."""
    return f"This {thing} was changed by {await who_changed(request, record)} since you opened it"


def service_errors(
    reply: Reply, specs: Iterable[Field], *, stale: str | None = None
) -> tuple[dict[str, str], str | None]:
    """`refusal_errors` beside the inputs of `specs`, each message after its input's title (a
    412 is `stale`, when given)."""
    titles = {spec.name: spec.title for spec in specs}
    return refusal_errors(reply, {name: name for name in titles}, labels=titles, stale=stale)


# -- the record's form, shown new, refused or stale ------------------------------------------


@dataclass(frozen=True)
class FormState:
    """How a new or edit form shows: the record edited (None: a new one), the version the
    form carries, the errors beside the inputs and above them, whether the save was stale
    (each input then also says what the record holds now), the page's status, and `read`,
    the values the edit started from (None: the record's, as the form shows it), and after a
    stale save `both_changed`, the inputs the person and the colleague both changed (each
    says what the colleague saved)."""

    record: dict[str, Any] | None = None
    version: str = ""
    errors: dict[str, str] = field(default_factory=dict)
    general: str | None = None
    stale: bool = False
    status: int = 200
    read: Mapping[str, Any] | None = None
    both_changed: frozenset[str] = frozenset()

    def context(
        self,
        form: Mapping[str, Any],
        as_form: Callable[[dict[str, Any]], Mapping[str, Any]],
        page: str | None,
        listing: str,
    ) -> dict[str, Any]:
        """The template values every record form shares: `as_form` shows the record as the
        form does, `page` is the record's page (None when new), `listing` its list's URL."""
        shown = as_form(self.record) if self.record else {}
        return {
            "form": form,
            "version": self.version,
            "read_state": json.dumps(shown if self.read is None else self.read),
            "errors": self.errors,
            "general_error": self.general,
            "stale": self.stale,
            "stored_now": {name: shown[name] for name in self.both_changed if name in shown},
            "action": page + "edit/" if page else listing + "create/",
            "back": page or listing,
        }


# A record's form page: the values its inputs show, and how.
ShowForm = Callable[[Mapping[str, Any], FormState], Awaitable[Response]]


async def save_new(
    request: Request,
    user: Identity,
    path: str,
    parsed: Parsed,
    specs: Iterable[Field],
    show_form: ShowForm,
    created_url: Callable[[str], str],
    *,
    typed: Mapping[str, Any],
) -> Response:
    """POST a checked form at `path`: to the new record's page (`created_url` of its id), or
    the form again (`typed`, what was typed) with the errors."""
    if parsed.errors:
        return await show_form(typed, FormState(errors=parsed.errors, status=422))
    reply = await api(request, user, SERVICE, "POST", path, json=parsed.payload)
    if reply.ok:
        return redirect(created_url(reply.body["id"]))
    errors, general = service_errors(reply, specs)
    return await show_form(typed, FormState(errors=errors, general=general, status=reply.status))


async def save_edit(
    request: Request,
    user: Identity,
    path: str,
    thing: str,
    *,
    parsed: Parsed,
    typed: Mapping[str, Any],
    read: Mapping[str, Any] | None,
    version: str,
    specs: Iterable[Field],
    show_form: ShowForm,
    as_form: Callable[[dict[str, Any]], Mapping[str, Any]],
    saved_url: str,
) -> Response:
    """PATCH the record at `path` with the inputs of a checked form the person changed
    (`typed` against `read`, the values it was opened with), at the `version` it was read at:
    to `saved_url`, or the form again with the errors; after a stale save, merged with the
    colleague's change (`merged_form`) at the current version, naming who made it."""
    if parsed.errors:
        record: dict[str, Any] = await fetch(request, user, SERVICE, path)
        return await show_form(
            with_unsent(typed, as_form(record)),
            FormState(record, version, parsed.errors, status=422, read=read),
        )
    changed = changed_inputs(typed, read)
    payload = {name: value for name, value in parsed.payload.items() if name in changed}
    reply = await api(
        request, user, SERVICE, "PATCH", path, json=payload, headers=if_match(version)
    )
    if reply.ok:
        return redirect(saved_url)
    record = await fetch(request, user, SERVICE, path)
    stored = as_form(record)
    if reply.status != 412:
        errors, general = service_errors(reply, specs)
        return await show_form(
            with_unsent(typed, stored),
            FormState(record, version, errors, general, status=reply.status, read=read),
        )
    stale = await changed_since(request, thing, record)
    errors, general = service_errors(reply, specs, stale=stale)
    theirs = changed_inputs(stored, read)
    return await show_form(
        with_unsent(merged_form(typed, read, stored), stored),
        FormState(
            record,
            str(record["version"]),
            errors,
            general,
            True,
            reply.status,
            both_changed=frozenset(changed & theirs),
        ),
    )


def with_unsent(typed: Mapping[str, Any], stored: Mapping[str, Any]) -> dict[str, Any]:
    """The form shown again: what was typed, and the stored value of each input the browser
    did not send (a disabled one: a field the record's stage freezes)."""
    return {**stored, **typed}


# -- deletions (a confirmation page first) ---------------------------------------------------


@dataclass(frozen=True)
class Deletion:
    """The confirmation page of a deletion: what it asks, what follows, where it posts (with
    the record's version) and where "Cancel" goes."""

    heading: str
    consequence: str
    post_to: str
    back: str
    version: object = None

    @classmethod
    def of_record(
        cls, record: Mapping[str, Any], page: str, heading: str, consequence: str
    ) -> Deletion:
        """Deleting `record` from its `page`: posted to the page's delete/ at its version."""
        return cls(heading, consequence, page + "delete/", page, record["version"])


async def confirm_page(
    request: Request, deletion: Deletion, *, error: str | None = None, status: int = 200
) -> Response:
    return render(
        request,
        "ppa_confirm.html",
        {
            "heading": deletion.heading,
            "consequence": deletion.consequence,
            "post_to": deletion.post_to,
            "back": deletion.back,
            "version": deletion.version,
            "error": error,
        },
        status_code=status,
    )


async def confirm_deletion(
    request: Request,
    user: Identity,
    path: str,
    thing: str,
    deletion: Callable[[dict[str, Any]], Deletion],
) -> Response:
    """The question before deleting the record at `path`, asked only of who may change it."""
    record: dict[str, Any] = await fetch(request, user, SERVICE, path)
    ensure_may_change(user, record, thing)
    return await confirm_page(request, deletion(record))


async def delete_record(
    request: Request,
    user: Identity,
    path: str,
    thing: str,
    *,
    deletion: Callable[[dict[str, Any]], Deletion],
    deleted_url: str,
) -> Response:
    """DELETE the record at `path` at the version the confirmation carried: to
    `deleted_url`, or the confirmation again with the refusal (a stale one names who changed
    the record)."""
    record: dict[str, Any] = await fetch(request, user, SERVICE, path)
    form, _ = await read_form(request)
    reply = await api(
        request, user, SERVICE, "DELETE", path, headers=if_match(form.get("version", ""))
    )
    if reply.ok:
        return redirect(deleted_url)
    stale = None
    if reply.status == 412:
        record = await fetch(request, user, SERVICE, path)
        stale = await changed_since(request, thing, record) + ": review it before deleting"
    _, general = service_errors(reply, (), stale=stale)
    return await confirm_page(request, deletion(record), error=general, status=reply.status)


async def export_list(
    request: Request, user: Identity, path: str, filter_names: Iterable[str], what: str
) -> Response:
    """Every record of the list at `path` that the request's `filter_names` select (the ones
    its page passes on), as the file of the request's ``?format=`` (csv or xlsx), streamed."""
    params = [
        *query_filters(request, filter_names),
        ("format", request.query_params.get("format") or "csv"),
    ]
    return await download(request, user, SERVICE, path, what, params=params)


async def list_page(
    request: Request,
    user: Identity,
    template: str,
    path: str,
    filter_names: Iterable[str],
    context: Mapping[str, Any],
    *,
    exported_as: str,
) -> Response:
    """One page of the records at `path` filtered by the request's `filter_names`: the
    template gets them as `items` beside `context` (a refused list shows its error), and the
    job its Export menu starts when the list is long (the service's export `exported_as`)."""
    filters = query_filters(request, filter_names)
    items, pages, list_error = await fetch_page(request, user, SERVICE, path, filters)
    background = background_export(request, SERVICE, exported_as, filters, pages["total"])
    return render(
        request,
        template,
        {
            "items": items,
            "pages": pages,
            "filters": dict(filters),
            "export_query": urlencode(filters),
            "background_export": background,
            "list_error": list_error,
            **context,
        },
        status_code=list_error.status if list_error else 200,
    )
