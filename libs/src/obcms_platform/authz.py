"""Who may do what to which record: the one rule set every write of every service goes through.

Roles (`staff` < `manager` < `admin`) say what kind of action a caller may take; ownership
says on which records. A service declares, once (its `authz.py`), a `Rule` per write action
and, for the rules that depend on the record, how to read the record's owners
(`OwnershipLoader`). Routes attach their rule with `Authorize(rule)`; the dependency loads the
record's owners in the request's own session and refuses before the route runs. Checks that
depend on the request body (filing leave for a colleague, linking a task to a PPA) call
`ensure(principal, rule, ownership)` from the service with the same rules.

The security suite reads the rule of every unsafe route from its dependencies
(`rule_of_route`): a new write route without a rule fails it.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from fastapi import Depends, Request
from fastapi.dependencies.models import Dependant
from fastapi.params import Depends as DependsParam
from sqlalchemy import Row
from sqlalchemy.orm import QueryableAttribute, Session

from obcms_platform.auth.dependencies import CurrentPrincipal
from obcms_platform.auth.tokens import Principal, Role
from obcms_platform.db import DbSession
from obcms_platform.errors import ForbiddenError
from obcms_platform.records import columns_or_404

# The attribute of an `Authorize` dependency that names its rule (read by the security suite).
RULE_ATTRIBUTE = "__authz_rule__"


@dataclass(frozen=True)
class Ownership:
    """Who owns one record, and who asked for it (a leave's or booking's requester)."""

    owners: frozenset[uuid.UUID] = frozenset()
    requester: uuid.UUID | None = None

    @classmethod
    def of(
        cls, *people: uuid.UUID | Iterable[uuid.UUID] | None, requester: uuid.UUID | None = None
    ) -> Ownership:
        owners: set[uuid.UUID] = set()
        for person in people:
            if isinstance(person, uuid.UUID):
                owners.add(person)
            elif person is not None:
                owners.update(person)
        return cls(frozenset(owners), requester)


# Reads a record's owners from the request's session and path parameters; raises NotFoundError
# for an unknown record.
OwnershipLoader = Callable[[Session, Mapping[str, Any]], Ownership]


def owners_loader(
    model: type[Any],
    *columns: QueryableAttribute[Any],
    param: str,
    what: str,
    owners: Callable[[Row[Any]], Ownership],
) -> OwnershipLoader:
    """The loader of the `model` record named by the path parameter `param`: it reads only
    `columns` of it (404 naming `what` when there is none) and `owners` says who owns it."""

    def load(session: Session, params: Mapping[str, Any]) -> Ownership:
        row_id = uuid.UUID(str(params[param]))
        return owners(columns_or_404(session, model, row_id, *columns, what=what))

    return load


def owned_by(
    column: QueryableAttribute[uuid.UUID | None], *, param: str, what: str
) -> OwnershipLoader:
    """The loader of a record whose one owner is the person in `column` (its creator, its
    recipient): `owners_loader` of that column's model, reading only it."""
    return owners_loader(
        column.parent.class_,
        column,
        param=param,
        what=what,
        owners=lambda row: Ownership.of(row[0]),
    )


@dataclass(frozen=True)
class Rule:
    """Who may perform `action` (``"ppa.update"``).

    - `role`: holders of this role (or a higher one) may, on any record. None: no role does.
    - `owners`: the record's owners may too (staff suffices); their record is read by `loader`.
    - `not_requester`: the person who asked for the record may never (nobody approves their
      own request, whatever their role).
    A rule about a record that a route enforces has a `loader`; one a service applies to a
    record named in the request body (`ensure`) is given the ownership directly.
    """

    action: str
    summary: str
    role: Role | None = Role.MANAGER
    owners: bool = False
    not_requester: bool = False
    loader: OwnershipLoader | None = field(default=None, compare=False, repr=False)
    # Who the owners are, in words (the documentation's table).
    owners_are: str = ""

    @classmethod
    def owned(
        cls,
        action: str,
        summary: str,
        *,
        loader: OwnershipLoader,
        owners_are: str,
        role: Role | None = Role.MANAGER,
    ) -> Rule:
        """A rule about a route's record: its owners (read by `loader`) may, and so may holders
        of `role`."""
        return cls(action, summary, role=role, owners=True, loader=loader, owners_are=owners_are)

    @property
    def needs_record(self) -> bool:
        return self.owners or self.not_requester

    def allows(self, principal: Principal, ownership: Ownership | None = None) -> bool:
        if self.not_requester and ownership and ownership.requester == principal.user_id:
            return False
        if self.role is not None and principal.has_role(self.role):
            return True
        return self.owners and ownership is not None and principal.user_id in ownership.owners

    def who(self) -> str:
        """The rule in words, for the documentation table."""
        parts = []
        if self.owners:
            parts.append("owners")
        if self.role is not None:
            parts.append("anyone" if self.role is Role.STAFF else f"{self.role.value}s")
        text = " or ".join(parts) if parts else "nobody"
        return text + (", never the requester" if self.not_requester else "")


def permitted(
    session: Session, principal: Principal, rule: Rule, path_params: Mapping[str, Any]
) -> bool:
    """Whether `rule` lets `principal` act on the record `path_params` name, judged as the
    route enforcing it judges (`Authorize`): what a page may offer."""
    if rule.role is not None and principal.has_role(rule.role) and not rule.not_requester:
        return True
    if not rule.needs_record:
        return rule.allows(principal)
    assert rule.loader is not None
    return rule.allows(principal, rule.loader(session, path_params))


def ensure(principal: Principal, rule: Rule, ownership: Ownership | None = None) -> None:
    """Raise 403 unless `rule` lets `principal` act on a record owned as `ownership`."""
    if rule.allows(principal, ownership):
        return
    if rule.not_requester and ownership and ownership.requester == principal.user_id:
        raise ForbiddenError(f"{rule.summary}: nobody decides their own request")
    role = rule.role.value if rule.role else None
    if rule.owners:
        who = f"its owners or a {role}" if role else "its owners"
        raise ForbiddenError(f"{rule.summary}: only {who} may do this")
    raise ForbiddenError(f"{rule.summary}: this action needs the {role} role")


def Authorize(rule: Rule) -> DependsParam:  # noqa: N802 - used like FastAPI's Depends
    """The route dependency enforcing `rule` before the route runs."""

    async def role_only(principal: CurrentPrincipal) -> Principal:
        ensure(principal, rule)
        return principal

    def with_record(request: Request, session: DbSession, principal: CurrentPrincipal) -> Principal:
        has_role = rule.role is not None and principal.has_role(rule.role)
        # Role holders pass without reading the record, unless being its requester matters;
        # and whoever the record cannot let through is refused before it is read.
        if has_role and not rule.not_requester:
            return principal
        if not has_role and not rule.owners:
            ensure(principal, rule)
        assert rule.loader is not None
        try:
            ownership = rule.loader(session, request.path_params)
        except ValueError:
            # A malformed id: FastAPI refuses the request (422 naming it) before the route runs.
            return principal
        ensure(principal, rule, ownership)
        return principal

    if rule.needs_record and rule.loader is None:
        raise ValueError(f"rule {rule.action}: a route's rule about the record needs a loader")
    check: Callable[..., Any] = with_record if rule.needs_record else role_only
    setattr(check, RULE_ATTRIBUTE, rule)
    dependency: DependsParam = Depends(check)
    return dependency


def _dependencies(dependant: Dependant) -> Iterator[Callable[..., Any]]:
    for dependency in dependant.dependencies:
        if dependency.call is not None:
            yield dependency.call
        yield from _dependencies(dependency)


def rules_of(dependant: Dependant) -> list[Rule]:
    """The rules a route's dependencies enforce (its `Authorize`)."""
    return [
        rule
        for call in _dependencies(dependant)
        if isinstance(rule := getattr(call, RULE_ATTRIBUTE, None), Rule)
    ]


def rule_table(rules: Iterable[Rule]) -> str:
    """The rules as a Markdown table (the documentation is checked against it)."""
    lines = ["| action | what | who may | the record's owners |", "|---|---|---|---|"]
    lines += [
        f"| `{rule.action}` | {rule.summary} | {rule.who()} | {rule.owners_are or '—'} |"
        for rule in rules
    ]
    return "\n".join(lines)
