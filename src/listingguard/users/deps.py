"""Who is calling, and may they? Every API route declares the permission it needs.

The JSON API authenticates with ``Authorization: Bearer <token>`` only; the web UI uses a signed session
cookie plus a CSRF token on every form (see ``web/``). Keeping the two apart means a browser session can
never be ridden by a cross-site request against the JSON API.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Annotated

import anyio
from fastapi import Request, Security
from fastapi.security import HTTPBearer
from sqlalchemy.orm import Session

from listingguard.errors import Forbidden, Unauthorized
from listingguard.routing import AUTH_CHECK_ATTRIBUTE
from listingguard.state import app_state
from listingguard.users import service
from listingguard.users.models import User

PERMISSIONS: dict[str, frozenset[str]] = {
    "listings:write": frozenset({"service", "admin"}),
    "listings:read": frozenset({"service", "moderator", "lead", "admin"}),
    "appeals:create": frozenset({"service", "lead", "admin"}),
    "review:work": frozenset({"moderator", "lead", "admin"}),
    "review:manage": frozenset({"lead", "admin"}),
    "users:manage": frozenset({"admin"}),
    "config:manage": frozenset({"admin"}),
    "models:read": frozenset({"moderator", "lead", "admin"}),
    "models:promote": frozenset({"lead", "admin"}),
    "models:override": frozenset({"admin"}),  # releasing to production without evidence
    "api:use": frozenset({"service", "moderator", "lead", "admin"}),
}


def allowed(user: User, permission: str) -> bool:
    """Whether ``user``'s role grants ``permission``."""
    return user.role in PERMISSIONS[permission]


def ensure_allowed(user: User, permission: str) -> User:
    """``user`` if their role grants ``permission``, else :class:`Forbidden`.

    The one permission check: the API's :func:`require` and the UI's dependencies both call it, so a page
    and the route that serves the same data can never disagree about who may see it.
    """
    roles = PERMISSIONS[permission]
    if user.role not in roles:
        raise Forbidden(f"a {user.role} may not do this ({permission} needs {', '.join(sorted(roles))})")
    return user


TOKEN_CACHE_SECONDS = 5.0


class TokenCache:
    """Tokens verified in the last few seconds, by their SHA-256, with a copy of their user.

    Looking a token up costs a query, an ORM load and a thread hand-over on every API call (about a
    millisecond of CPU, a tenth of a screened listing). A marketplace calls with the same token all day, so
    a verified token is trusted for ``ttl`` seconds: a token revoked or an account disabled elsewhere (the
    CLI, another server process) stops working within that time. Failed lookups are never cached.
    """

    def __init__(
        self, ttl: float = TOKEN_CACHE_SECONDS, size: int = 1024, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.ttl = ttl
        self.size = size
        self.clock = clock
        self._entries: OrderedDict[str, tuple[float, User]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, digest: str) -> User | None:
        with self._lock:
            entry = self._entries.get(digest)
            if entry is None:
                return None
            if self.clock() - entry[0] > self.ttl:
                del self._entries[digest]
                return None
            return entry[1]

    def forget_user(self, user_id: int) -> None:
        """Drop every cached token of this account (disabled or its role changed in this process)."""
        with self._lock:
            for digest in [d for d, (_, user) in self._entries.items() if user.id == user_id]:
                del self._entries[digest]

    def put(self, digest: str, user: User) -> None:
        with self._lock:
            self._entries[digest] = (self.clock(), user)
            self._entries.move_to_end(digest)
            while len(self._entries) > self.size:
                self._entries.popitem(last=False)


def bearer_token(request: Request) -> str:
    """The request's bearer token, or :class:`Unauthorized` saying how to get one."""
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthorized(
            "send an API token: `Authorization: Bearer lg_…` (create one with `listingguard users token`)"
        )
    return token.strip()


async def token_user(request: Request) -> User:
    """The user behind the request's bearer token: from the token cache, else from the database.

    What is returned is a detached copy of the account row (see :func:`service.snapshot`); read it, never
    add it to a session.
    """
    token = bearer_token(request)
    state = app_state(request)
    cache = state.token_cache
    digest = service.token_digest(token)
    user = cache.get(digest)
    if user is None:
        user = await anyio.to_thread.run_sync(_look_up, state.sessionmaker, token)
        cache.put(digest, user)
    return user


def _look_up(sessionmaker: Callable[[], Session], token: str) -> User:
    """Look a token up in a short transaction of its own, committed at once (it may note the token's use).

    Not in the request's session: on SQLite every transaction holds the write lock, and a request whose
    work runs in another transaction (``POST /v1/listings``, see ``intake.group_commit``) would wait
    on its own lock.
    """
    with sessionmaker() as session, session.begin():
        return service.snapshot(service.user_for_token(session, token=token, now=datetime.now(UTC)))


REQUEST_USER_KEY = "listingguard.user"

BEARER = HTTPBearer(
    auto_error=False,  # the check below refuses with the project's own message
    scheme_name="APIToken",
    description="An API token: `Authorization: Bearer lg_…` (create one with `listingguard users token`).",
)
"""Declares the bearer-token scheme in /openapi.json, so that /docs can send a token."""


def require(permission: str) -> Callable[..., Awaitable[User]]:
    """A dependency that authenticates the caller and checks ``permission``.

    The API's route class (``listingguard.routing``) calls it before the request body is read, so an
    anonymous caller gets 401 before any 422; the user found is kept in the request scope for the
    second call, as the view's dependency.
    """
    PERMISSIONS[permission]  # an unknown permission fails when the route is declared, not when called

    async def check(request: Request, _declared: Annotated[object, Security(BEARER)] = None) -> User:
        # async on purpose: with the token cache most calls never leave the event loop; a plain function
        # would be sent to the thread pool, one more hand-over of the GIL per request.
        user: User | None = request.scope.get(REQUEST_USER_KEY)
        if user is None:
            user = await token_user(request)
            request.scope[REQUEST_USER_KEY] = user
        return ensure_allowed(user, permission)

    setattr(check, AUTH_CHECK_ATTRIBUTE, permission)
    return check


def authenticated() -> Callable[..., Awaitable[User]]:
    """A dependency for routes every account may call: a valid token, any role."""
    return require("api:use")
