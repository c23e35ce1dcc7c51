"""The portfolio forms' inputs (PPA, assessment, need, milestone, tranche): each field's kind,
its check with human wording, the service's refusals placed beside the input at fault, and
who may change a record (to offer only the buttons that work).

Every input is checked here so that all errors show at once, each beside its field; the
service stays the judge of the rest (its refusals are mapped back onto the inputs). Nothing
typed is dropped: a value that cannot be read is an error, never an omitted field.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any, Literal

from fastapi import Request

from gateway_service.auth.identity import Identity
from gateway_service.pages.common import Reply, is_manager, refusal_errors, who_changed
from obcms_platform.errors import ForbiddenError

Kind = Literal["text", "choice", "year", "amount", "signed_amount", "date", "number", "id"]

# The portfolio service's bounds (portfolio_service/fields.py), repeated so that every error
# shows at once; the service checks them again.
FIRST_YEAR, LAST_YEAR = 1970, 2199
MAX_AMOUNT = Decimal("999999999999.99")  # Numeric(14, 2)
AMOUNT_SEPARATORS = re.compile(r"[,\s_]")


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


@dataclass
class Parsed:
    """The service's payload and the errors by input name (empty when all is well)."""

    payload: dict[str, Any] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)


def _amount(text: str, title: str, signed: bool) -> tuple[str | None, str | None]:
    """(the amount as the service reads it, the error): "1,500,000" is 1500000."""
    example = f"{title} must be a number, e.g. 1500000"
    try:
        value = Decimal(AMOUNT_SEPARATORS.sub("", text.removeprefix("₱")))
    except InvalidOperation:
        return None, example
    if not value.is_finite():
        return None, example
    if value < 0 and not signed:
        return None, f"{title} cannot be negative"
    if abs(value) > MAX_AMOUNT:
        return None, f"{title} is too large (at most 999,999,999,999.99)"
    if value != value.quantize(Decimal("0.01")):
        return None, f"{title} may have at most two decimals (centavos)"
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
    if spec.kind == "date":
        try:
            return date.fromisoformat(text).isoformat(), None
        except ValueError:
            return None, f"{spec.title} must be a date, e.g. {date.today().isoformat()}"
    if spec.kind == "number":
        plain = AMOUNT_SEPARATORS.sub("", text)
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
    return parsed


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
