"""Shared CLI plumbing: settings overrides, error rendering, progress bars.

This module is imported by every command's ``--help``, so it imports nothing heavy (see ``cli/__init__.py``).
"""

from __future__ import annotations

import functools
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any, ParamSpec, TypeVar

import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    DownloadColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

from listingguard.config import Settings, get_settings
from listingguard.errors import LGError

console = Console(highlight=False, soft_wrap=True)
err_console = Console(stderr=True, highlight=False, soft_wrap=True)

P = ParamSpec("P")
R = TypeVar("R")


def settings_with(database_url: str | None = None, model_dir: Path | None = None) -> Settings:
    """The environment's settings with command-line overrides applied."""
    settings = get_settings()
    updates: dict[str, Any] = {}
    if database_url:
        updates["database_url"] = database_url
    if model_dir:
        updates["model_dir"] = model_dir
    return settings.model_copy(update=updates) if updates else settings


def handle_errors(fn: Callable[P, R]) -> Callable[P, R]:
    """Print domain errors as one readable line and exit 1; never show a traceback unless debugging."""

    @functools.wraps(fn)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return fn(*args, **kwargs)
        except LGError as exc:
            err_console.print(f"[bold red]error:[/] {exc.message}")
            raise typer.Exit(1) from None
        except KeyboardInterrupt:
            err_console.print("[yellow]interrupted[/]; work committed so far is kept, re-run to continue")
            raise typer.Exit(130) from None
        except (typer.Exit, typer.Abort):
            raise
        except Exception as exc:
            if os.environ.get("LISTINGGUARD_DEBUG"):
                raise
            err_console.print(
                f"[bold red]internal error:[/] {type(exc).__name__}: {exc}\n"
                "Set LISTINGGUARD_DEBUG=1 to see the traceback, and please report it."
            )
            raise typer.Exit(2) from None

    return wrapper


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
