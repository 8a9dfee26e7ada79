"""Account commands: add, disable and enable users, set passwords, create and revoke API tokens, list."""

from __future__ import annotations

import getpass
import secrets
import sys
from datetime import UTC, datetime
from typing import Annotated

import typer
from rich.table import Table

from listingguard.cli.common import console, handle_errors, settings_with
from listingguard.errors import Invalid, NotFound
from listingguard.users.roles import ROLES

app = typer.Typer(help="Manage accounts and API tokens.", no_args_is_help=True)

DatabaseUrl = Annotated[
    str | None,
    typer.Option("--database-url", envvar="LISTINGGUARD_DATABASE_URL", help="Database URL (default: SQLite in HOME)."),
]


def _read_password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\n")
    try:
        first = getpass.getpass("password: ")
        again = getpass.getpass("again: ")
    except EOFError:
        raise Invalid("no password given (input ended); use --password-stdin to pipe one in") from None
    if again != first:
        raise Invalid("the passwords differ; nothing was changed")
    return first


@app.command("add")
@handle_errors
def add(
    username: Annotated[str, typer.Argument(help="Login name (lower case, digits, . _ -).")],
    role: Annotated[str, typer.Option(help=f"One of: {', '.join(ROLES)}.")] = "moderator",
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="Read the password from standard input.")
    ] = False,
    database_url: DatabaseUrl = None,
) -> None:
    """Create an account. People get a password (prompted); a `service` account gets an API token instead."""
    if role not in ROLES:  # before asking for a password that would be thrown away
        raise Invalid(f"role {role!r}: choose one of {', '.join(ROLES)}")
    from listingguard.db import get_engine, migrate, session_scope
    from listingguard.users import service

    url = settings_with(database_url).resolved_database_url
    migrate(url)
    password = None if role == "service" else _read_password(password_stdin)
    now = datetime.now(UTC)
    with session_scope(get_engine(url)) as session:
        user = service.create(session, username=username, role=role, password=password, actor="cli", now=now)
        token = (
            service.create_token(session, user=user, name="initial", actor="cli", now=now)
            if role == "service"
            else None
        )
    console.print(f"created {role} [bold]{username}[/]")
    if token:
        console.print(f"API token (shown once, store it now): {token}")


@app.command("token")
@handle_errors
def token(
    username: Annotated[str, typer.Argument(help="Account that will own the token.")],
    name: Annotated[str, typer.Option(help="What the token is for.")] = "cli",
    database_url: DatabaseUrl = None,
) -> None:
    """Create an API token for an account and print it once (only its hash is stored)."""
    from listingguard.db import get_engine, migrate, session_scope
    from listingguard.users import service

    url = settings_with(database_url).resolved_database_url
    migrate(url)
    with session_scope(get_engine(url)) as session:
        user = service.get_by_username(session, username=username)
        if user is None:
            raise NotFound(f"no user {username!r}; create it with `listingguard users add`")
        value = service.create_token(session, user=user, name=name, actor="cli", now=datetime.now(UTC))
    console.print(value)


@app.command("revoke-token")
@handle_errors
def revoke_token(
    prefix: Annotated[str, typer.Argument(help="The part after lg_ and before the second _.")],
    database_url: DatabaseUrl = None,
) -> None:
    """Revoke an API token."""
    from listingguard.db import get_engine, session_scope
    from listingguard.users import service

    url = settings_with(database_url).resolved_database_url
    with session_scope(get_engine(url)) as session:
        service.revoke_token(session, prefix=prefix, actor="cli", now=datetime.now(UTC))
    console.print(f"revoked token {prefix}")


def _update(username: str, database_url: str | None, *, active: bool | None = None, password: str | None = None) -> int:
    """Apply one change to an account; returns the browser sessions it ended."""
    from listingguard.db import get_engine, migrate, session_scope
    from listingguard.users import service

    url = settings_with(database_url).resolved_database_url
    migrate(url)
    with session_scope(get_engine(url)) as session:
        user = service.get_by_username(session, username=username)
        if user is None:
            raise NotFound(f"no user {username!r}; `listingguard users list` shows the accounts")
        return service.update(session, user=user, active=active, password=password, actor="cli", now=datetime.now(UTC))


@app.command("disable")
@handle_errors
def disable(
    username: Annotated[str, typer.Argument(help="Account to disable.")], database_url: DatabaseUrl = None
) -> None:
    """Disable an account: it can no longer log in, its browser sessions end and its API tokens are refused."""
    ended = _update(username, database_url, active=False)
    console.print(f"disabled [bold]{username}[/] ({ended} browser session(s) ended)")


@app.command("enable")
@handle_errors
def enable(
    username: Annotated[str, typer.Argument(help="Account to enable.")], database_url: DatabaseUrl = None
) -> None:
    """Enable a disabled account again."""
    _update(username, database_url, active=True)
    console.print(f"enabled [bold]{username}[/]")


@app.command("set-password")
@handle_errors
def set_password(
    username: Annotated[str, typer.Argument(help="Account whose password to set.")],
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="Read the password from standard input.")
    ] = False,
    database_url: DatabaseUrl = None,
) -> None:
    """Set an account's password (prompted twice); every browser session of the account ends."""
    ended = _update(username, database_url, password=_read_password(password_stdin))
    console.print(f"password of [bold]{username}[/] set ({ended} browser session(s) ended)")


@app.command("list")
@handle_errors
def list_users(database_url: DatabaseUrl = None) -> None:
    """Show every account."""
    from listingguard.db import get_engine, migrate, session_scope
    from listingguard.users import service

    url = settings_with(database_url).resolved_database_url
    migrate(url)
    with session_scope(get_engine(url)) as session:
        users = service.get_all(session)
        table = Table("user", "role", "active", "created")
        for user in users:
            table.add_row(
                user.username, user.role, "yes" if user.active else "no", user.created_at.strftime("%Y-%m-%d")
            )
    console.print(table)


def generated_password() -> str:
    """A password for demo accounts."""
    return secrets.token_urlsafe(9)
