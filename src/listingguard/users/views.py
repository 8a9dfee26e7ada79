"""Account administration over the API (admins only)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, ConfigDict, StringConstraints

from listingguard.deps import DbSession
from listingguard.errors import Conflict, NotFound
from listingguard.users import service
from listingguard.users.deps import require
from listingguard.users.models import User

router = APIRouter(prefix="/v1/users", tags=["users"])

Admin = Annotated[User, Depends(require("users:manage"))]


class UserIn(BaseModel):
    """A new account."""

    model_config = ConfigDict(extra="forbid")

    username: Annotated[str, StringConstraints(min_length=2, max_length=64)]
    role: str
    password: Annotated[str, StringConstraints(max_length=256)] | None = None


class TokenIn(BaseModel):
    """A new API token for an account."""

    model_config = ConfigDict(extra="forbid")

    name: Annotated[str, StringConstraints(min_length=1, max_length=64)]


@router.get("", summary="All accounts")
def list_users(db_session: DbSession, admin: Admin) -> list[dict[str, Any]]:
    """Name, role and status of every account."""
    return [
        {"username": u.username, "role": u.role, "active": u.active, "created_at": u.created_at}
        for u in service.get_all(db_session)
    ]


@router.post("", summary="Create an account", status_code=201)
def create_user(user_in: UserIn, db_session: DbSession, admin: Admin) -> dict[str, Any]:
    """Create a moderator, lead, admin or service account."""
    user = service.create(
        db_session,
        username=user_in.username,
        role=user_in.role,
        password=user_in.password,
        actor=admin.username,
        now=datetime.now(UTC),
    )
    return {"username": user.username, "role": user.role}


class UserUpdate(BaseModel):
    """Changes to an account; leave out what stays as it is."""

    model_config = ConfigDict(extra="forbid")

    active: bool | None = None
    password: Annotated[str, StringConstraints(max_length=256)] | None = None
    role: str | None = None


@router.patch("/{username}", summary="Disable or enable an account, set its password or role")
def update_user(
    username: str, user_in: UserUpdate, request: Request, db_session: DbSession, admin: Admin
) -> dict[str, Any]:
    """Disabling an account or setting its password ends all of its browser sessions at once; this
    process stops accepting the account's API tokens at once too (other processes within 5 seconds)."""
    user = service.get_by_username_or_raise(db_session, username=username)
    if user.id == admin.id and (user_in.active is False or (user_in.role not in (None, "admin"))):
        raise Conflict("you cannot disable your own account or take away your own admin role")
    ended = service.update(
        db_session,
        user=user,
        active=user_in.active,
        password=user_in.password,
        role=user_in.role,
        actor=admin.username,
        now=datetime.now(UTC),
    )
    request.app.state.token_cache.forget_user(user.id)
    return {"username": user.username, "role": user.role, "active": user.active, "sessions_ended": ended}


@router.post("/{username}/tokens", summary="Create an API token (shown once)", status_code=201)
def create_token(username: str, token_in: TokenIn, db_session: DbSession, admin: Admin) -> dict[str, str]:
    """The token is returned once and stored only as a hash."""
    user = service.get_by_username(db_session, username=username)
    if user is None:
        raise NotFound(f"no user {username!r}")
    token = service.create_token(db_session, user=user, name=token_in.name, actor=admin.username, now=datetime.now(UTC))
    return {"token": token}
