"""Data commands: simulate a marketplace, ingest listing files into the database."""

from __future__ import annotations

import gzip
import json
from collections import Counter
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from listingguard.cli.common import (
    EXIT_ERROR,
    EXIT_REJECTED,
    byte_progress,
    compact_table,
    console,
    count_progress,
    err_console,
    handle_errors,
    settings_with,
)
from listingguard.errors import Invalid

if TYPE_CHECKING:
    from listingguard.listings.io import RecordError

MAX_ERRORS_SHOWN = 20


@handle_errors
def simulate(
    out: Annotated[Path, typer.Option("--out", "-o", help="Output JSON Lines file (.jsonl or .jsonl.gz).")],
    days: Annotated[int, typer.Option(min=1, max=3650, help="Number of days to simulate.")] = 30,
    per_day: Annotated[int, typer.Option("--per-day", min=1, max=10_000_000, help="Listings per day.")] = 2000,
    seed: Annotated[int, typer.Option(help="Random seed; the same seed gives the same file.")] = 0,
    first_day: Annotated[
        int, typer.Option("--first-day", min=0, help="Index of the first day (to continue a run).")
    ] = 0,
    start: Annotated[str, typer.Option(help="Calendar date of day 0 (YYYY-MM-DD).")] = "2026-09-01",
    prevalence_scale: Annotated[
        float, typer.Option("--prevalence-scale", min=0.01, max=50, help="Multiply every topic's prevalence.")
    ] = 1.0,
) -> None:
    """Write SYNTHETIC labelled listings from the built-in marketplace simulator.

    Japanese and English listings in 18 categories, eight policy topics at 0.2-1% prevalence, risky-looking
    benign decoys, disguised violations, moderator label noise, and new slang appearing over the days.
    Each line carries `labels` (what a fallible moderator said) and `meta.sim.truth` (the ground truth).
    """
    from listingguard.simulator.generator import SimulationConfig, simulate_day

    try:
        start_date = date.fromisoformat(start)
    except ValueError:
        raise Invalid(f"--start {start!r} is not a date; use YYYY-MM-DD") from None
    config = SimulationConfig(
        days=days, per_day=per_day, seed=seed, first_day=first_day, start=start_date, prevalence_scale=prevalence_scale
    )
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(out.name + ".partial")
    counts: Counter[str] = Counter()
    opener: Any = gzip.open if out.name.endswith(".gz") else open
    with opener(tmp, "wt", encoding="utf-8") as fh, count_progress() as progress:
        task = progress.add_task("simulating days", total=days)
        for day in range(first_day, first_day + days):
            records = sorted(simulate_day(config, day), key=lambda r: r["created_at"])
            for record in records:
                fh.write(json.dumps(record, ensure_ascii=False, separators=(",", ":")))
                fh.write("\n")
                counts.update(record["meta"]["sim"]["truth"] or ["(fine)"])
            progress.advance(task)
    tmp.replace(out)
    total = days * per_day
    table = compact_table("topic", "listings", "share", title=f"simulated {total:,} listings → {out}  (synthetic data)")
    for topic, n in sorted(counts.items()):
        table.add_row(topic, f"{n:,}", f"{n / total:.2%}")
    console.print(table)


def rejected_records(errors: list[RecordError]) -> int:
    """How many records the errors are about (one record can fail on several fields)."""
    return len({error.line for error in errors})


def _print_errors(errors: list[RecordError], total: int, errors_file: Path | None) -> None:
    for error in errors[:MAX_ERRORS_SHOWN]:
        err_console.print(f"  [red]✗[/] {error}")
    if total > MAX_ERRORS_SHOWN:
        hint = f" (all of them in {errors_file})" if errors_file else " (use --errors FILE to save all of them)"
        err_console.print(f"  … and {total - MAX_ERRORS_SHOWN:,} more{hint}")


@handle_errors
def ingest(
    file: Annotated[Path, typer.Argument(help="Listings as .jsonl, .jsonl.gz, .parquet or .csv.")],
    strict: Annotated[bool, typer.Option("--strict", help="Reject the whole file if any record is invalid.")] = False,
    errors_file: Annotated[
        Path | None, typer.Option("--errors", help="Write every rejected record's error here (JSON Lines).")
    ] = None,
    chunk_size: Annotated[
        int, typer.Option("--chunk-size", min=1, max=100_000, help="Listings per transaction.")
    ] = 2000,
    database_url: Annotated[
        str | None,
        typer.Option(
            "--database-url",
            envvar="LISTINGGUARD_DATABASE_URL",
            help="Database URL (default: SQLite in LISTINGGUARD_HOME).",
        ),
    ] = None,
    model: Annotated[
        Path | None,
        typer.Option("--model", envvar="LISTINGGUARD_MODEL_DIR", help="Model directory; without one, rules only."),
    ] = None,
    no_explain: Annotated[bool, typer.Option("--no-explain", help="Skip explanations (faster bulk loads).")] = False,
) -> None:
    """Store listings from a file of any size and screen new and changed ones.

    Every bad record is reported with its line number, field and reason; the good ones still go in
    (unless --strict) and the command exits 3, so scripts notice. Each chunk is one transaction, so an
    interrupted run keeps what it committed and can simply be re-run: unchanged listings are recognised
    and skipped.
    """
    from listingguard.cli.topics import check_model
    from listingguard.db import get_engine, migrate, session_factory, session_scope
    from listingguard.intake.flows import ingest_and_screen
    from listingguard.listings.io import input_size, read_listings
    from listingguard.registry.serving import describe, open_deployment

    settings = settings_with(database_url, model)
    url = settings.resolved_database_url
    migrate(url)
    engine = get_engine(url)
    deployments = open_deployment(settings, session_factory(engine))  # --model DIR, else the registry
    screener = deployments.current.production
    err_console.print(describe(deployments.current))
    if screener.model is None:
        err_console.print("[yellow]no model (--model, or one released to production): screening with rules only[/]")
    else:
        check_model(screener.model, screener.policy)
    total_size = input_size(file)
    errors: list[RecordError] = []
    if strict:
        with byte_progress() as progress:
            task = progress.add_task("validating", total=total_size)
            for chunk in read_listings(file, chunk_size=chunk_size, known_topics=screener.topics):
                errors.extend(chunk.errors)
                progress.update(task, completed=chunk.position)
        if errors:
            _write_errors(errors_file, errors)
            err_console.print(
                f"[bold red]--strict: {rejected_records(errors):,} invalid records "
                f"({len(errors):,} errors); nothing was stored[/]"
            )
            _print_errors(errors, len(errors), errors_file)
            raise typer.Exit(EXIT_ERROR)
    statuses: Counter[str] = Counter()
    actions: Counter[str] = Counter()
    topics: Counter[str] = Counter()
    records_read = 0
    with byte_progress() as progress:
        task = progress.add_task("ingesting", total=total_size)
        for chunk in read_listings(file, chunk_size=chunk_size, known_topics=screener.topics):
            errors.extend(chunk.errors)
            records_read += len(chunk.listings)
            if chunk.listings:
                deployments.refresh()  # an alias moved during a long load: later chunks follow it
                with session_scope(engine) as session:
                    records = ingest_and_screen(
                        session, screener=deployments.current, listings=chunk.listings, explain=not no_explain
                    )
                for record in records:
                    statuses[record["status"]] += 1
                    if record["status"] != "unchanged":
                        actions[record["action"]] += 1
                        topics.update(record["topics"])
            progress.update(task, completed=chunk.position)
    _write_errors(errors_file, errors)
    rejected = rejected_records(errors)
    if records_read == 0 and rejected == 0:
        err_console.print(f"[yellow]{file} has no records (the file is empty); nothing was stored[/]")
        console.print(f"database: {url}")
        return
    table = compact_table("what", "count", title=f"ingested {file}")
    for status in ("created", "revised", "unchanged"):
        table.add_row(f"listings {status}", f"{statuses[status]:,}")
    table.add_row("records rejected", f"{rejected:,}")
    for action in ("allow", "review", "hide"):
        table.add_row(f"action: {action}", f"{actions[action]:,}")
    for topic, n in sorted(topics.items()):
        table.add_row(f"flagged: {topic}", f"{n:,}")
    console.print(table)
    console.print(f"database: {url}")
    if errors:
        err_console.print(
            f"[yellow]{rejected:,} records were rejected ({len(errors):,} errors) and not stored; "
            f"the other records were (exit code {EXIT_REJECTED}):[/]"
        )
        _print_errors(errors, len(errors), errors_file)
        raise typer.Exit(EXIT_REJECTED)


def _write_errors(path: Path | None, errors: list[RecordError]) -> None:
    if path is None:
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8") as fh:
        for error in errors:
            fh.write(
                json.dumps({"line": error.line, "field": error.field, "error": error.message}, ensure_ascii=False)
                + "\n"
            )
