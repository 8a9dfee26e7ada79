"""Who is calling, and may they? Every API route declares the permission it needs.

The JSON API authenticates with ``Authorization: Bearer <token>`` only; the web UI uses a signed session
cookie plus a CSRF token on every form (see ``web/``). Keeping the two apart means a browser session can
never be ridden by a cross-site request against the JSON API.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Annotated

from fastapi import Depends, Request

from listingguard.deps import DbSession
from listingguard.errors import Forbidden, Unauthorized
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
}


def allowed(user: User, permission: str) -> bool:
    """Whether ``user``'s role grants ``permission``."""
    return user.role in PERMISSIONS[permission]


def token_user(request: Request, db_session: DbSession) -> User:
    """The user behind the request's bearer token."""
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthorized(
            "send an API token: `Authorization: Bearer lg_…` (create one with `listingguard users token`)"
        )
    return service.user_for_token(db_session, token=token.strip(), now=datetime.now(UTC))


def require(permission: str) -> Callable[..., Awaitable[User]]:
    """A dependency that authenticates the caller and checks ``permission``."""
    roles = PERMISSIONS[permission]

    async def check(user: Annotated[User, Depends(token_user)]) -> User:
        # async on purpose: a plain function would be sent to the thread pool, one more hand-over of the
        # GIL per request for a set lookup.
        if user.role not in roles:
            raise Forbidden(f"a {user.role} may not do this ({permission} needs {', '.join(sorted(roles))})")
        return user

    return check
