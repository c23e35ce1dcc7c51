"""User domain logic: takes a session, never commits."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from gateway_service.users.models import User
from gateway_service.users.passwords import hash_password, needs_rehash, verify_password
from gateway_service.users.schemas import UserCreate
from obcms_platform.auth import Role
from obcms_platform.errors import ConflictError, InvalidInputError
from obcms_platform.pagination import PageParams, paginate


def check_password_policy(password: str, min_length: int) -> None:
    if len(password) < min_length:
        raise InvalidInputError(
            f"password: at least {min_length} characters are required", field="password"
        )


def create_user(session: Session, data: UserCreate, *, min_password_length: int) -> User:
    check_password_policy(data.password, min_password_length)
    if session.scalar(select(User.id).where(User.username == data.username)) is not None:
        raise ConflictError(f"username: {data.username!r} already exists", field="username")
    user = User(
        username=data.username,
        full_name=data.full_name,
        email=data.email,
        role=data.role,
        password_hash=hash_password(data.password),
        is_active=True,
    )
    session.add(user)
    session.flush()
    return user


def ensure_user(session: Session, username: str, password: str, role: Role) -> bool:
    """Create `username` unless it exists (safe when several replicas start at once).

    Returns whether it was created.
    """
    statement = (
        insert(User)
        .values(
            id=uuid.uuid4(),
            username=username,
            full_name="",
            role=role,
            password_hash=hash_password(password),
            is_active=True,
        )
        .on_conflict_do_nothing(index_elements=["username"])
        .returning(User.id)
    )
    return session.execute(statement).scalar_one_or_none() is not None


def get_user(session: Session, user_id: uuid.UUID) -> User | None:
    return session.get(User, user_id)


def find_user(session: Session, username: str) -> User | None:
    return session.scalar(select(User).where(User.username == username))


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
