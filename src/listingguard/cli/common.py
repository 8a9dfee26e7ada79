"""Shared CLI plumbing: settings overrides, error rendering, progress bars.

This module is imported by every command's ``--help``, so it imports nothing heavy (see ``cli/__init__.py``).
"""

from __future__ import annotations

import functools
import os
import shutil
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, ParamSpec, TypeVar

import typer
from rich import box
from rich.console import Console
from rich.markup import escape
from rich.progress import (
    BarColumn,
    DownloadColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.table import Table

from listingguard.config import Settings, get_settings
from listingguard.errors import Invalid, LGError

console = Console(highlight=False, soft_wrap=True)
err_console = Console(stderr=True, highlight=False, soft_wrap=True)

P = ParamSpec("P")
R = TypeVar("R")

# Exit codes (docs/commands.md): 0 done; 1 an error, nothing (more) was done; 2 an internal error (a bug);
# 3 done, but some records were rejected and skipped; 130 interrupted.
EXIT_ERROR = 1
EXIT_INTERNAL = 2
EXIT_REJECTED = 3
EXIT_INTERRUPTED = 130

URL_EXAMPLES = "sqlite:///path/to/file.db or postgresql+psycopg://user@host:5432/dbname"


def settings_with(
    database_url: str | None = None, model_dir: Path | None = None, *, database: bool = True
) -> Settings:
    """The environment's settings with command-line overrides applied.

    With ``database`` (commands that open the database) the URL is checked first, and when the default
    SQLite file does not exist yet the command says it is creating one (and where the demo's is), so a
    mistyped home never silently starts a second, empty database.
    """
    settings = get_settings()
    updates: dict[str, Any] = {}
    if database_url:
        updates["database_url"] = database_url
    if model_dir:
        updates["model_dir"] = model_dir
    if updates:
        settings = settings.model_copy(update=updates)
    if database:
        check_database_url(settings)
    return settings


def demo_home(settings: Settings) -> Path:
    """Where ``listingguard demo`` keeps its database, model and report."""
    return settings.home / "demo"


def export_lines(settings: Settings) -> list[str]:
    """Shell lines that make later commands use ``settings``' database and artifact store (absolute paths).

    Not the model directory: later commands screen with the bundle the registry names as production (a
    fixed ``LISTINGGUARD_MODEL_DIR`` would bypass the aliases); the artifact store is where its files are.
    """
    return [
        f"export LISTINGGUARD_DATABASE_URL={_absolute_url(settings)}",
        f"export LISTINGGUARD_ARTIFACT_STORE={settings.resolved_artifact_store}",
    ]


def path_hint() -> str | None:
    """How to put ``listingguard`` on PATH when it is not (installed in a virtual environment), else None."""
    bin_dir = Path(sys.executable).parent
    found = shutil.which("listingguard")
    if found and Path(found).parent.resolve() == bin_dir.resolve():
        return None
    activate = bin_dir / "activate"
    if activate.exists():
        try:
            shown = activate.relative_to(Path.cwd())
        except ValueError:
            shown = activate
        return f"source {shown}   # puts listingguard on PATH (or run {bin_dir / 'listingguard'})"
    return f"export PATH={bin_dir}:$PATH"


def _absolute_url(settings: Settings) -> str:
    if settings.database_url:
        return settings.database_url
    return f"sqlite:///{(settings.home / 'listingguard.db').resolve().as_posix()}"


def check_database_url(settings: Settings) -> None:
    """Refuse a URL that is not a database URL; announce a default SQLite file about to be created."""
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError, NoSuchModuleError

    url = settings.resolved_database_url
    try:
        make_url(url).get_dialect()
    except NoSuchModuleError:
        raise Invalid(
            f"--database-url {url!r}: unknown kind of database {url.split(':', 1)[0]!r}; use {URL_EXAMPLES}"
        ) from None
    except ArgumentError:  # (after its subclass NoSuchModuleError)
        raise Invalid(f"--database-url {url!r} is not a database URL; use {URL_EXAMPLES}") from None
    default_file = settings.home / "listingguard.db"
    if settings.database_url is None and not default_file.exists():
        note = f"note: no database at {default_file} yet; creating a new, empty one"
        demo_file = demo_home(settings) / "listingguard.db"
        if demo_file.exists():
            note += (
                f". The demo's database is {demo_file}; to use it instead, stop here (Ctrl-C) and run:\n  "
                + "\n  ".join(export_lines(settings.model_copy(update={"home": demo_home(settings)})))
            )
        err_console.print(note, markup=False)


def _database_failure(exc: Exception) -> str | None:
    """A one-line explanation of a failure to reach the database, or None for any other exception."""
    if "sqlalchemy.exc" not in sys.modules:
        return None
    from sqlalchemy.exc import OperationalError

    if not isinstance(exc, OperationalError):
        return None
    reason = str(exc.orig).strip().splitlines()[0] if exc.orig is not None else str(exc)
    return (
        f"cannot use the database: {reason}. Is the server running and the URL right? "
        "Check --database-url / LISTINGGUARD_DATABASE_URL."
    )


def handle_errors(fn: Callable[P, R]) -> Callable[P, R]:
    """Print domain errors as one readable line and exit 1; never show a traceback unless debugging."""

    @functools.wraps(fn)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return fn(*args, **kwargs)
        except LGError as exc:
            err_console.print(f"[bold red]error:[/] {escape(exc.message)}")
            raise typer.Exit(EXIT_ERROR) from None
        except KeyboardInterrupt:
            err_console.print("[yellow]interrupted[/]; work committed so far is kept, re-run to continue")
            raise typer.Exit(EXIT_INTERRUPTED) from None
        except (typer.Exit, typer.Abort):
            raise
        except Exception as exc:
            if os.environ.get("LISTINGGUARD_DEBUG"):
                raise
            failure = _database_failure(exc)
            if failure:
                err_console.print(f"[bold red]error:[/] {escape(failure)}")
                raise typer.Exit(EXIT_ERROR) from None
            err_console.print(
                f"[bold red]internal error:[/] {type(exc).__name__}: {escape(str(exc))}\n"
                "Set LISTINGGUARD_DEBUG=1 to see the traceback, and please report it."
            )
            raise typer.Exit(EXIT_INTERNAL) from None

    return wrapper


def compact_table(
    *columns: str, title: str | None = None, caption: str | None = None, left: int = 1, wrap: tuple[str, ...] = ()
) -> Table:
    """A table that fits an 80-column terminal: light rules, no outer padding, and cells that are never cut.

    The first ``left`` columns are left-aligned (names), the rest right-aligned (numbers); only the columns
    named in ``wrap`` (free text) may wrap.
    """
    table = Table(title=title, caption=caption, box=box.SIMPLE_HEAD, pad_edge=False, collapse_padding=True)
    for i, name in enumerate(columns):
        table.add_column(name, justify="left" if i < left or name in wrap else "right", no_wrap=name not in wrap)
    return table


def byte_progress() -> Progress:
    """A progress bar for reading files (bytes)."""
    return Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        DownloadColumn(),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        console=err_console,
        transient=False,
    )


def count_progress() -> Progress:
    """A progress bar for counted steps (rows, days)."""
    return Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        console=err_console,
        transient=False,
    )
