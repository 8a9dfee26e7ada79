"""Accounts, passwords (Argon2id) and API tokens (random, stored as SHA-256)."""

from __future__ import annotations

import functools
import hashlib
import hmac
import math
import re
import secrets
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, joinedload

from listingguard.audit import service as audit_service
from listingguard.errors import Conflict, Invalid, LGError, NotFound, Unauthorized
from listingguard.inputs import check_text
from listingguard.users.models import ApiToken, LoginAttempt, User, WebSession
from listingguard.users.roles import ROLES

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


def get_by_username_or_raise(db_session: Session, *, username: str) -> User:
    """The user with this name, or :class:`NotFound`."""
    user = get_by_username(db_session, username=username)
    if user is None:
        raise NotFound(f"no user {username!r}")
    return user


def _check_role(role: str) -> None:
    if role not in ROLES:
        raise Invalid(f"role {role!r}: choose one of {', '.join(ROLES)}")


def _check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise Invalid(f"the password is too short: use at least {MIN_PASSWORD} characters")


def create(db_session: Session, *, username: str, role: str, password: str | None, actor: str, now: datetime) -> User:
    """Create an account; services may have no password (they use tokens)."""
    if not USERNAME.match(username):
        raise Invalid(f"username {username!r}: use 2-64 lower-case letters, digits, '.', '_' or '-'")
    _check_role(role)
    if password is None and role != "service":
        raise Invalid(f"a {role} needs a password to log in")
    if password is not None:
        _check_password(password)
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
    check_text("username", username)  # a NUL cannot be compared with a text column on PostgreSQL
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


def update(
    db_session: Session,
    *,
    user: User,
    active: bool | None = None,
    password: str | None = None,
    role: str | None = None,
    actor: str,
    now: datetime,
) -> int:
    """Enable or disable an account, set its password or change its role; returns the web sessions ended.

    Disabling an account or changing its password ends every browser session of the account (a stolen
    or shared cookie stops working at once); its API tokens are refused while it is disabled.
    """
    if role is not None:
        _check_role(role)
    if password is not None:
        _check_password(password)
    before: dict[str, object] = {}
    after: dict[str, object] = {}
    if active is not None and active != user.active:
        before["active"], after["active"] = user.active, active
        user.active = active
    if role is not None and role != user.role:
        before["role"], after["role"] = user.role, role
        user.role = role
    if password is not None:
        user.password_hash = _hasher.hash(password)
        after["password"] = "changed"
    ended = end_sessions(db_session, user=user) if (active is False or password is not None) else 0
    if after:
        after["sessions_ended"] = ended
        audit_service.log(
            db_session,
            actor=actor,
            action="user.update",
            entity="user",
            entity_id=user.id,
            now=now,
            before=before,
            after=after,
        )
    db_session.flush()
    return ended


# -- browser sessions ---------------------------------------------------------------------------------
SESSION_LIFETIME = timedelta(hours=12)


def start_session(db_session: Session, *, user: User, now: datetime) -> str:
    """Open a browser session for ``user``; returns the secret the cookie carries (stored only hashed)."""
    db_session.execute(delete(WebSession).where(WebSession.user_id == user.id, WebSession.expires_at < now))
    secret = secrets.token_urlsafe(32)
    db_session.add(
        WebSession(secret_hash=token_digest(secret), user_id=user.id, created_at=now, expires_at=now + SESSION_LIFETIME)
    )
    db_session.flush()
    return secret


def user_for_session(db_session: Session, *, secret: str, now: datetime) -> User | None:
    """The active user of the live session with this secret, or None (ended, expired, or disabled)."""
    row = db_session.scalars(select(WebSession).where(WebSession.secret_hash == token_digest(secret))).first()
    if row is None or _aware(row.expires_at) <= now:
        return None
    user = db_session.get(User, row.user_id)
    return user if user is not None and user.active else None


def end_session(db_session: Session, *, secret: str) -> None:
    """End the session with this secret (logout); a cookie holding it no longer logs anyone in."""
    db_session.execute(delete(WebSession).where(WebSession.secret_hash == token_digest(secret)))


def end_sessions(db_session: Session, *, user: User) -> int:
    """End every browser session of ``user``; returns how many there were."""
    result = db_session.execute(delete(WebSession).where(WebSession.user_id == user.id))
    return int(getattr(result, "rowcount", 0) or 0)


# -- failed-login throttling --------------------------------------------------------------------------
LOGIN_WINDOW = timedelta(minutes=15)
MAX_ATTEMPTS_PER_ACCOUNT = 5
MAX_ATTEMPTS_PER_ADDRESS = 20


class TooManyAttempts(LGError):
    """Too many failed logins for an account or from an address; ``retry_after`` is in seconds."""

    status_code = 429

    def __init__(self, message: str, *, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after


def note_login_attempt(sessionmaker: Callable[[], Session], *, username: str, address: str, now: datetime) -> None:
    """Count a password login before its password is checked, or :class:`TooManyAttempts`.

    At most ``MAX_ATTEMPTS_PER_ACCOUNT`` logins per account and ``MAX_ATTEMPTS_PER_ADDRESS`` per client
    address may fail within ``LOGIN_WINDOW``. The attempt is committed in a transaction of its own before
    the limits are counted in another, so guesses made at the same moment in other threads or server
    processes see each other and no more than the limit ever get to the password check. A refused
    attempt is not kept: someone hammering a locked account does not extend its lock. A successful
    login clears its account's attempts (:func:`login_succeeded`).
    """
    username, address = username[:64], address[:64]
    with sessionmaker() as session, session.begin():
        session.execute(delete(LoginAttempt).where(LoginAttempt.at < now - LOGIN_WINDOW))
        attempt = LoginAttempt(at=now, username=username, address=address)
        session.add(attempt)
        session.flush()
        attempt_id = attempt.id
    refusal: TooManyAttempts | None = None
    with sessionmaker() as session, session.begin():
        since = now - LOGIN_WINDOW
        for column, value, limit, what in (
            (LoginAttempt.username, username, MAX_ATTEMPTS_PER_ACCOUNT, "for this account"),
            (LoginAttempt.address, address, MAX_ATTEMPTS_PER_ADDRESS, "from your address"),
        ):
            stamps = [
                _aware(at)
                for at in session.scalars(
                    select(LoginAttempt.at)
                    .where(column == value, LoginAttempt.at >= since, LoginAttempt.id != attempt_id)
                    .order_by(LoginAttempt.at)
                )
            ]
            if len(stamps) >= limit:
                # free once enough of the oldest attempts leave the window for this one to fit in
                free_at = stamps[len(stamps) - limit] + LOGIN_WINDOW
                retry_after = max(1, math.ceil((free_at - now).total_seconds()))
                refusal = TooManyAttempts(
                    f"too many failed logins {what}; try again in {_minutes(retry_after)}", retry_after=retry_after
                )
                session.execute(delete(LoginAttempt).where(LoginAttempt.id == attempt_id))  # committed below
                break
    if refusal is not None:
        raise refusal


def login_succeeded(db_session: Session, *, username: str) -> None:
    """Forget the account's counted attempts after a successful login."""
    db_session.execute(delete(LoginAttempt).where(LoginAttempt.username == username[:64]))


def _minutes(seconds: int) -> str:
    return f"{math.ceil(seconds / 60)} min" if seconds >= 60 else f"{seconds} s"
