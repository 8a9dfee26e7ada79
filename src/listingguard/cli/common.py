"""Shared CLI plumbing: settings overrides, error rendering, progress bars, truth columns."""

from __future__ import annotations

import functools
import os
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, ParamSpec, TypeVar

import numpy as np
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
from listingguard.listings.batch import ListingBatch

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


def truth_matrix(
    batch: ListingBatch, topics: Sequence[str], metas: Sequence[dict[str, Any] | None], source: str
) -> tuple[np.ndarray, str]:
    """Labels to evaluate against: the simulator's ground truth when every row has it, else ``labels``."""
    has_sim = bool(metas) and all(m and isinstance(m.get("sim"), dict) and "truth" in m["sim"] for m in metas)
    use_sim = source == "simulator" or (source == "auto" and has_sim)
    if use_sim:
        if not has_sim:
            raise LGError("--label-source simulator needs meta.sim.truth on every row (simulator output)")
        index = {t: j for j, t in enumerate(topics)}
        out = np.zeros((len(batch), len(topics)), dtype=np.int8)
        for i, meta in enumerate(metas):
            for topic in meta["sim"]["truth"]:  # type: ignore[index]
                if topic in index:
                    out[i, index[topic]] = 1
        return out, "simulator ground truth (meta.sim.truth)"
    if any(labels is None for labels in batch.labels):
        raise LGError("some rows have no `labels`; evaluation needs labelled listings")
    return batch.label_matrix(topics), "labels"
