"""Account administration over the API (admins only)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Request
from pydantic import BaseModel, ConfigDict, StringConstraints

from listingguard.deps import DbSession
from listingguard.errors import Conflict, NotFound
from listingguard.inputs import Text
from listingguard.listings.schemas import UTCDatetime
from listingguard.routing import APIRoute
from listingguard.state import app_state
from listingguard.users import service
from listingguard.users.deps import require
from listingguard.users.models import User

router = APIRouter(prefix="/v1/users", tags=["users"], route_class=APIRoute)

Admin = Annotated[User, Depends(require("users:manage"))]


class UserIn(BaseModel):
    """A new account."""

    model_config = ConfigDict(extra="forbid")

    username: Annotated[Text, StringConstraints(min_length=2, max_length=64)]
    role: Annotated[Text, StringConstraints(max_length=32)]
    password: Annotated[Text, StringConstraints(max_length=256)] | None = None


class UserRead(BaseModel):
    """An account as admins see it."""

    username: str
    role: str
    active: bool
    created_at: UTCDatetime


class UserCreated(BaseModel):
    """The account created."""

    username: str
    role: str


class TokenCreated(BaseModel):
    """A new API token: shown this once, stored only as a hash."""

    token: str


class TokenIn(BaseModel):
    """A new API token for an account."""

    model_config = ConfigDict(extra="forbid")

    name: Annotated[Text, StringConstraints(min_length=1, max_length=64)]


@router.get("", summary="All accounts", response_model=list[UserRead])
def list_users(db_session: DbSession, admin: Admin) -> Any:
    """Name, role and status of every account."""
    return [
        {"username": u.username, "role": u.role, "active": u.active, "created_at": u.created_at}
        for u in service.get_all(db_session)
    ]


@router.post(
    "",
    summary="Create an account",
    status_code=201,
    response_model=UserCreated,
    responses={409: {"description": "The name is taken"}},
)
def create_user(user_in: UserIn, db_session: DbSession, admin: Admin) -> Any:
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
    password: Annotated[Text, StringConstraints(max_length=256)] | None = None
    role: Annotated[Text, StringConstraints(max_length=16)] | None = None


class UserUpdated(BaseModel):
    """An account after a change, and how many of its browser sessions the change ended."""

    username: str
    role: str
    active: bool
    sessions_ended: int


@router.patch(
    "/{username}",
    summary="Disable or enable an account, set its password or role",
    response_model=UserUpdated,
    responses={404: {"description": "No such account"}},
)
def update_user(
    username: Annotated[Text, Path(max_length=64)],
    user_in: UserUpdate,
    request: Request,
    db_session: DbSession,
    admin: Admin,
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
    app_state(request).token_cache.forget_user(user.id)
    return {"username": user.username, "role": user.role, "active": user.active, "sessions_ended": ended}


@router.post(
    "/{username}/tokens",
    summary="Create an API token (shown once)",
    status_code=201,
    response_model=TokenCreated,
    responses={404: {"description": "No such account"}},
)
def create_token(
    username: Annotated[Text, Path(max_length=64)], token_in: TokenIn, db_session: DbSession, admin: Admin
) -> dict[str, str]:
    """The token is returned once and stored only as a hash."""
    user = service.get_by_username(db_session, username=username)
    if user is None:
        raise NotFound(f"no user {username!r}")
    token = service.create_token(db_session, user=user, name=token_in.name, actor=admin.username, now=datetime.now(UTC))
    return {"token": token}
