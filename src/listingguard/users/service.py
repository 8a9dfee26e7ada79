"""Accounts, passwords (Argon2id) and API tokens (random, stored as SHA-256)."""

from __future__ import annotations

import functools
import hashlib
import hmac
import re
import secrets
from datetime import UTC, datetime

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, joinedload

from listingguard.audit import service as audit_service
from listingguard.errors import Conflict, Invalid, NotFound, Unauthorized
from listingguard.users.models import ApiToken, User

ROLES = ("moderator", "lead", "admin", "service")
USERNAME = re.compile(r"^[a-z0-9][a-z0-9._-]{1,63}$")
MIN_PASSWORD = 10
_hasher = PasswordHasher()


@functools.cache
def _dummy_hash() -> str:
    """A hash to verify against when the user does not exist (made on first use: hashing takes time)."""
    return _hasher.hash("timing-equaliser-password")


def get_by_username(db_session: Session, *, username: str) -> User | None:
    """The user with this name, or None."""
    return db_session.scalars(select(User).where(User.username == username)).first()


def get_all(db_session: Session) -> list[User]:
    """Every account, by name."""
    return list(db_session.scalars(select(User).order_by(User.username)))


def create(db_session: Session, *, username: str, role: str, password: str | None, actor: str, now: datetime) -> User:
    """Create an account; services may have no password (they use tokens)."""
    if not USERNAME.match(username):
        raise Invalid(f"username {username!r}: use 2-64 lower-case letters, digits, '.', '_' or '-'")
    if role not in ROLES:
        raise Invalid(f"role {role!r}: choose one of {', '.join(ROLES)}")
    if password is None and role != "service":
        raise Invalid(f"a {role} needs a password to log in")
    if password is not None and len(password) < MIN_PASSWORD:
        raise Invalid(f"the password is too short: use at least {MIN_PASSWORD} characters")
    if get_by_username(db_session, username=username) is not None:
        raise Conflict(f"user {username!r} already exists")
    user = User(
        username=username,
        role=role,
        password_hash=_hasher.hash(password) if password is not None else None,
        active=True,
        created_at=now,
    )
    db_session.add(user)
    try:
        db_session.flush()
    except IntegrityError:
        raise Conflict(f"user {username!r} already exists") from None
    audit_service.log(
        db_session,
        actor=actor,
        action="user.create",
        entity="user",
        entity_id=user.id,
        now=now,
        after={"username": username, "role": role},
    )
    return user


def authenticate(db_session: Session, *, username: str, password: str) -> User:
    """The active user with these credentials, or :class:`Unauthorized` (same message either way)."""
    user = get_by_username(db_session, username=username)
    try:
        if user is None or not user.active or user.password_hash is None:
            _hasher.verify(_dummy_hash(), password + "x")  # spend the same time as a real check
            raise Unauthorized("wrong user name or password")
        _hasher.verify(user.password_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        raise Unauthorized("wrong user name or password") from None
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = _hasher.hash(password)
    return user


def token_digest(token: str) -> str:
    """How a token is stored and looked up: its SHA-256, hex."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def create_token(db_session: Session, *, user: User, name: str, actor: str, now: datetime) -> str:
    """Create an API token for ``user`` and return it; it is shown once and stored only as a hash."""
    prefix = secrets.token_hex(6)
    token = f"lg_{prefix}_{secrets.token_urlsafe(32)}"
    db_session.add(ApiToken(user_id=user.id, name=name, prefix=prefix, token_hash=token_digest(token), created_at=now))
    db_session.flush()
    audit_service.log(
        db_session,
        actor=actor,
        action="token.create",
        entity="user",
        entity_id=user.id,
        now=now,
        after={"token_name": name, "prefix": prefix},
    )
    return token


def user_for_token(db_session: Session, *, token: str, now: datetime) -> User:
    """The active user owning ``token``, or :class:`Unauthorized`."""
    parts = token.split("_")
    if len(parts) < 3 or parts[0] != "lg":
        raise Unauthorized("malformed API token; expected lg_<prefix>_<secret>")
    row = db_session.scalars(
        select(ApiToken).options(joinedload(ApiToken.user)).where(ApiToken.prefix == parts[1])
    ).first()  # token and user in one round trip: this runs on every API request
    if row is None or row.revoked_at is not None or not hmac.compare_digest(row.token_hash, token_digest(token)):
        raise Unauthorized("invalid or revoked API token")
    if not row.user.active:
        raise Unauthorized("the account of this token is disabled")
    if row.last_used_at is None or (now - _aware(row.last_used_at)).total_seconds() > 60:
        row.last_used_at = now  # at most once a minute: not a database write on every request
    return row.user


def snapshot(user: User) -> User:
    """A copy of ``user``'s columns that belongs to no session, safe to share between requests and threads.

    The API caches the caller for a few seconds (see ``users.deps.TokenCache``); the row itself belongs
    to the request's session, whose rollback would expire it. Never add the copy to a session.
    """
    return User(
        id=user.id,
        username=user.username,
        role=user.role,
        password_hash=None,
        active=user.active,
        created_at=user.created_at,
    )


def _aware(stamp: datetime) -> datetime:
    return stamp if stamp.tzinfo else stamp.replace(tzinfo=UTC)


def revoke_token(db_session: Session, *, prefix: str, actor: str, now: datetime) -> None:
    """Revoke the token with this prefix."""
    row = db_session.scalars(select(ApiToken).where(ApiToken.prefix == prefix)).first()
    if row is None:
        raise NotFound(f"no API token with prefix {prefix!r}")
    row.revoked_at = now
    audit_service.log(
        db_session,
        actor=actor,
        action="token.revoke",
        entity="user",
        entity_id=row.user_id,
        now=now,
        after={"prefix": prefix},
    )
