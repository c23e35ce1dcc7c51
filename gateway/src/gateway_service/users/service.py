"""User domain logic: takes a session, never commits.

The changes that end a user's sessions and tokens (deactivation, a role change, a new
password) say so in their result; the caller revokes the credentials once the change is
committed (`auth.store.Credentials.revoke_user`).
"""

from __future__ import annotations

import uuid
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import and_, func, or_, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from gateway_service.db import outbox
from gateway_service.users.models import AccountsAnnounced, User, canonical_username
from gateway_service.users.passwords import hash_password, needs_rehash, verify_password
from gateway_service.users.policy import check_password
from gateway_service.users.schemas import ProfileUpdate, UserCreate, UserUpdate
from obcms_platform.auth import Role
from obcms_platform.bus.topology import SUBSCRIPTIONS, subscribes
from obcms_platform.contracts import USER_CHANGED, UserChanged
from obcms_platform.errors import (
    ConflictError,
    InputProblems,
    InvalidInputError,
    NotFoundError,
    PreconditionFailedError,
)
from obcms_platform.pagination import PageParams, paginate
from obcms_platform.records import serialise

# The lock gateway workers starting together take turns on to announce the accounts.
ANNOUNCING = uuid.uuid5(uuid.NAMESPACE_URL, "obcms:gateway:accounts-announced")


@dataclass(frozen=True)
class AccountChange:
    user: User
    # The user's sessions and tokens must end (deactivated, new role or new password).
    signs_out: bool


def _personal_words(username: str, full_name: str, email: str | None) -> list[str]:
    """What zxcvbn should count as known to an attacker."""
    return [username, full_name, email or ""]


def _names(full_name: str, email: str | None) -> list[str]:
    """The person's names, none of whose words a password may hold: the full name and the
    e-mail's name (before the @)."""
    return [full_name, (email or "").partition("@")[0]]


def new_account_problems(
    session: Session,
    *,
    username: str | None,
    full_name: str,
    email: str | None,
    password: str,
    min_password_length: int,
) -> InputProblems:
    """Every problem of a new account's input that only the service can see, each of its
    field: a password the policy refuses, a user name taken, an address another account's.
    A form whose user name or e-mail is malformed passes None for it (not checked)."""
    problems = InputProblems()
    with problems.check():
        check_password(
            password,
            min_length=min_password_length,
            field="password",
            user_inputs=_personal_words(username or "", full_name, email),
            names=_names(full_name, email),
        )
    if username and find_user(session, username) is not None:
        with problems.check():
            raise _username_taken(username)
    with problems.check():
        _refuse_a_shared_email(session, email, None)
    return problems


def create_user(session: Session, data: UserCreate, *, min_password_length: int) -> User:
    """A new account; every problem of `data` refused at once (`new_account_problems`)."""
    new_account_problems(
        session,
        username=data.username,
        full_name=data.full_name,
        email=data.email,
        password=data.password,
        min_password_length=min_password_length,
    ).raise_if_any()
    user = User(
        username=data.username,
        username_canonical=canonical_username(data.username),
        full_name=data.full_name,
        email=data.email,
        time_zone=data.time_zone,
        role=data.role,
        password_hash=hash_password(data.password),
        is_active=True,
    )
    session.add(user)
    try:
        with session.begin_nested():
            session.flush()
    except IntegrityError as exc:  # created meanwhile by a concurrent request
        raise _username_taken(data.username) from exc
    announce(session, user)
    return user


def announce(session: Session, user: User) -> None:
    """Stage ``user.changed`` (the account as other services may know it: no secrets) in the
    caller's transaction: the notifications service keeps its addresses and time zones."""
    announce_users(session, [user])


def announce_users(session: Session, users: Sequence[User]) -> None:
    """`announce` each of `users`, in one statement."""
    outbox.add_all(
        session,
        USER_CHANGED,
        [
            (UserChanged.of_record(user, user_id=user.id, active=user.is_active), user.id)
            for user in users
        ],
    )


def announce_all(session: Session) -> int:
    """Announce every account again, in the caller's transaction; consumers keep the newest
    version they saw, so repeating this changes nothing. (The operator's command announces
    them in batches: `obcms_platform.bus.announcing`.)"""
    users = list(session.scalars(select(User).order_by(User.id)))
    announce_users(session, users)
    return len(users)


def announce_to_new_consumers(session: Session) -> int:
    """Announce every account once the registry names a consumer of ``user.changed`` that
    has not had them (an upgrade added one): the number announced, 0 when none is new.
    Gateway workers starting together take turns; the second finds it done."""
    consumers = ",".join(
        sorted(name for name in SUBSCRIPTIONS if subscribes(name, USER_CHANGED.name))
    )
    serialise(session, ANNOUNCING)
    if session.get(AccountsAnnounced, consumers) is not None:
        return 0
    session.add(AccountsAnnounced(consumers=consumers))
    return announce_all(session)


def _username_taken(username: str) -> ConflictError:
    return ConflictError(
        f"username: {username!r} already exists (names differing only in letter case are "
        "the same name)",
        field="username",
    )


def ensure_user(
    session: Session, username: str, password: str, role: Role, *, full_name: str = ""
) -> bool:
    """Create `username` unless it exists (safe when several replicas start at once).

    Returns whether it was created.
    """
    statement = (
        insert(User)
        .values(
            id=uuid.uuid4(),
            username=username,
            username_canonical=canonical_username(username),
            full_name=full_name,
            role=role,
            password_hash=hash_password(password),
            is_active=True,
        )
        .on_conflict_do_nothing()
        .returning(User.id)
    )
    created = session.execute(statement).scalar_one_or_none()
    if created is None:
        return False
    user = session.get(User, created)
    assert user is not None
    announce(session, user)
    return True


def get_user(session: Session, user_id: uuid.UUID) -> User | None:
    return session.get(User, user_id)


@dataclass(frozen=True)
class Names:
    """How a person is named: the username, the full name (empty when not given), and
    whether the account is active."""

    username: str
    full_name: str
    is_active: bool = True

    @property
    def name(self) -> str:
        """The person's name: the full name, the username when it is empty (as an @mention
        writes it)."""
        return self.full_name or self.username

    @property
    def shown(self) -> str:
        """How a page shows the person: their name, marked "(inactive)" for a deactivated
        account, so that work still in its name is seen to need someone else."""
        return self.name if self.is_active else f"{self.name} (inactive)"


def user_ids(values: Iterable[object]) -> set[uuid.UUID]:
    """The values that are user ids (text or UUIDs; anything else is left out)."""
    ids = set()
    for value in values:
        if not value:
            continue
        try:
            ids.add(value if isinstance(value, uuid.UUID) else uuid.UUID(str(value)))
        except ValueError:
            continue
    return ids


def names_by_id(session: Session, ids: Collection[uuid.UUID]) -> dict[str, Names]:
    """id (as text) -> the names of each user among `ids` (one query; none for no ids)."""
    if not ids:
        return {}
    rows = session.execute(
        select(User.id, User.username, User.full_name, User.is_active).where(User.id.in_(ids))
    )
    return {str(row.id): Names(row.username, row.full_name, row.is_active) for row in rows}


def find_user(session: Session, username: str) -> User | None:
    """The user `username` names: by canonical form (any letter case), or by exact name for
    an account that has no canonical form (see `User.username_canonical`)."""
    exact = User.username == username
    statement = (
        select(User)
        .where(
            or_(
                User.username_canonical == canonical_username(username),
                and_(User.username_canonical.is_(None), exact),
            )
        )
        .order_by(exact.desc())
        .limit(1)
    )
    return session.scalars(statement).first()


def authenticate(session: Session, username: str, password: str) -> User | None:
    """The active user with these credentials, or None. Records the login time."""
    user = find_user(session, username)
    if not verify_password(user.password_hash if user else None, password):
        return None
    if user is None or not user.is_active:
        return None
    if needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    user.last_login_at = datetime.now(UTC)
    return user


def list_users(session: Session, page: PageParams) -> tuple[list[User], int]:
    return paginate(session, select(User).order_by(func.lower(User.username)), page)


def _locked(session: Session, user_id: uuid.UUID) -> User:
    user = session.scalar(select(User).where(User.id == user_id).with_for_update())
    if user is None:
        raise NotFoundError("user", user_id)
    return user


def _check_version(user: User, expected_version: int | None) -> None:
    if expected_version is not None and expected_version != user.version:
        raise PreconditionFailedError(
            f"If-Match: user {user.username!r} is at version {user.version}, not "
            f"{expected_version}; reload it and try again",
            field="If-Match",
        )


def update_user(
    session: Session, user_id: uuid.UUID, data: UserUpdate, *, expected_version: int | None
) -> AccountChange:
    """An admin's change: role, active flag, name, e-mail, time zone. Never leaves no active
    admin."""
    may_remove_an_admin = (data.role not in (None, Role.ADMIN)) or data.is_active is False
    # Lock the active admins (in id order, so two such changes cannot deadlock) before the
    # user: two admins demoting each other at once must not both succeed.
    admins = (
        set(
            session.scalars(
                select(User.id)
                .where(User.role == Role.ADMIN, User.is_active)
                .order_by(User.id)
                .with_for_update()
            )
        )
        if may_remove_an_admin
        else set()
    )
    user = _locked(session, user_id)
    _check_version(user, expected_version)
    role = data.role or user.role
    is_active = user.is_active if data.is_active is None else data.is_active
    if admins == {user.id} and (role is not Role.ADMIN or not is_active):
        field = "is_active" if not is_active else "role"
        raise ConflictError(
            f"{field}: {user.username!r} is the last active admin; make another user an "
            "admin first",
            field=field,
        )
    # An inactive user keeps no credential (repeating a deactivation ends any left).
    signs_out = role is not user.role or not is_active
    if not is_active:
        # Nor a calendar subscription: reactivation must not revive an address that was
        # handed around while the person was gone.
        user.calendar_token_digest = user.calendar_token_sealed = None
    user.role = role
    user.is_active = is_active
    _save_profile(session, user, data)
    return AccountChange(user, signs_out)


def update_profile(
    session: Session, user_id: uuid.UUID, data: ProfileUpdate, *, expected_version: int | None
) -> User:
    """A user's change to their own name, e-mail and time zone."""
    user = _locked(session, user_id)
    _check_version(user, expected_version)
    _save_profile(session, user, data)
    return user


def _save_profile(session: Session, user: User, data: UserUpdate | ProfileUpdate) -> None:
    """Set the name (never cleared), the e-mail and the time zone (cleared by a null) that
    `data` sent, and store and announce the account's change at its next version."""
    if data.full_name is not None:
        user.full_name = data.full_name
    if "time_zone" in data.model_fields_set:
        user.time_zone = data.time_zone
    if "email" in data.model_fields_set:
        _refuse_a_shared_email(session, data.email, user.id)
        user.email = data.email
    user.version += 1
    session.flush()
    announce(session, user)


def _refuse_a_shared_email(
    session: Session, email: str | None, account_id: uuid.UUID | None
) -> None:
    """409 when another account has the address (in any letter case): one person's leave
    decisions and assignments would reach another's mailbox."""
    if not email:
        return
    others = [] if account_id is None else [User.id != account_id]
    holder = session.scalar(
        select(User).where(func.lower(User.email) == email.lower(), *others).limit(1)
    )
    if holder is not None:
        raise ConflictError(
            f"email: the address {email} is already {holder.full_name or holder.username}'s; "
            "each account needs its own",
            field="email",
        )


def _set_password(user: User, password: str, *, min_password_length: int, field: str) -> None:
    check_password(
        password,
        min_length=min_password_length,
        field=field,
        user_inputs=_personal_words(user.username, user.full_name, user.email),
        names=_names(user.full_name, user.email),
    )
    user.password_hash = hash_password(password)
    user.version += 1


def reset_password(
    session: Session, user_id: uuid.UUID, password: str, *, min_password_length: int
) -> AccountChange:
    """An admin sets a new password for the user."""
    user = _locked(session, user_id)
    _set_password(user, password, min_password_length=min_password_length, field="password")
    session.flush()
    return AccountChange(user, signs_out=True)


def change_password(
    session: Session,
    user_id: uuid.UUID,
    current_password: str,
    new_password: str,
    *,
    min_password_length: int,
) -> AccountChange:
    """The user replaces their own password, proving they know the current one."""
    user = _locked(session, user_id)
    if not verify_password(user.password_hash, current_password):
        raise InvalidInputError(
            "current_password: this is not your current password", field="current_password"
        )
    _set_password(user, new_password, min_password_length=min_password_length, field="new_password")
    session.flush()
    return AccountChange(user, signs_out=True)
