"""Review commands: the reviewer simulation (for demos and tests)."""

from __future__ import annotations

import random
import secrets
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table
from sqlalchemy.orm import Session

from listingguard.cli.common import console, count_progress, handle_errors, settings_with
from listingguard.db import get_engine, migrate, session_scope
from listingguard.errors import Invalid
from listingguard.listings.models import ListingRevision
from listingguard.review import service as review_service
from listingguard.screening.loader import load_screener
from listingguard.users import service as users_service
from listingguard.users.models import User


def _reviewer(session: Session, name: str, now: datetime) -> User:
    """The simulated moderator's account (created with a random password nobody knows)."""
    user = users_service.get_by_username(session, username=name)
    if user is None:
        user = users_service.create(
            session,
            username=name,
            role="moderator",
            password=secrets.token_urlsafe(16),
            actor="simulate-reviewers",
            now=now,
        )
    return user


def simulated_verdict(truth: list[str], topics: list[str], error_rate: float, rng: random.Random) -> list[str]:
    """The ground truth, except that with ``error_rate`` the simulated moderator gets it wrong."""
    if rng.random() >= error_rate:
        return sorted(truth)
    if truth:
        return []  # a missed violation
    return [rng.choice(topics)]  # a false alarm


@handle_errors
def simulate_reviewers(
    reviewers: Annotated[int, typer.Option(min=1, max=100, help="Simulated moderators taking turns.")] = 3,
    error_rate: Annotated[
        float, typer.Option("--error-rate", min=0.0, max=0.5, help="Chance a verdict is wrong.")
    ] = 0.03,
    limit: Annotated[
        int, typer.Option(min=0, help="Stop after this many decisions (0: until the queue is empty).")
    ] = 0,
    seed: Annotated[int, typer.Option(help="Seed for the simulated mistakes.")] = 0,
    database_url: Annotated[
        str | None, typer.Option("--database-url", envvar="LISTINGGUARD_DATABASE_URL", help="Database URL.")
    ] = None,
    model: Annotated[
        Path | None,
        typer.Option("--model", envvar="LISTINGGUARD_MODEL_DIR", help="Model directory (for the topic list)."),
    ] = None,
    kinds: Annotated[
        list[str] | None,
        typer.Option("--kind", help="Only tasks of this kind (repeatable), e.g. evaluation for a backtest's tasks."),
    ] = None,
) -> None:
    """SIMULATION: answer review tasks from the simulator's ground truth, with a configurable error rate.

    Works only on listings that carry `meta.sim.truth` (simulator output). It claims and decides tasks
    through the same code path as people do (leases, decisions, enforcement, second reviews, audit log),
    as moderators named `sim-reviewer-N`, so the loop can be demonstrated without people.
    """
    settings = settings_with(database_url)
    url = settings.resolved_database_url
    migrate(url)
    screener = load_screener(settings, model_dir=model)
    topics = screener.topics
    rng = random.Random(seed)
    flt = review_service.QueueFilter(kinds=tuple(kinds or ())).validate(topics)
    engine = get_engine(url)
    decided = mistakes = 0
    counts: dict[str, int] = {}
    with session_scope(engine) as session:
        now = datetime.now(UTC)
        names = [f"sim-reviewer-{i + 1}" for i in range(reviewers)]
        for name in names:
            _reviewer(session, name, now)
    with count_progress() as progress:
        task_bar = progress.add_task("simulated reviewing", total=limit or None)
        turn = 0
        idle_rounds = 0
        while not limit or decided < limit:
            name = names[turn % len(names)]
            turn += 1
            with session_scope(engine) as session:
                user = users_service.get_by_username(session, username=name)
                assert user is not None
                now = datetime.now(UTC)
                task = review_service.claim_next(session, reviewer=user, flt=flt, now=now, lease=timedelta(minutes=5))
                if task is None:
                    idle_rounds += 1
                    if idle_rounds >= len(names):  # nobody can take anything (second reviews exclude their author)
                        break
                    continue
                idle_rounds = 0
                revision = session.get(ListingRevision, task.revision_id)
                sim = ((revision.meta or {}).get("sim") or {}) if revision else {}
                if "truth" not in sim:
                    raise Invalid(
                        f"listing {task.listing_id} has no simulator ground truth (meta.sim.truth); "
                        "simulate-reviewers only works on simulated listings"
                    )
                verdict = simulated_verdict(list(sim["truth"]), topics, error_rate, rng)
                mistakes += verdict != sorted(sim["truth"])
                review_service.decide(
                    session,
                    task_id=task.id,
                    reviewer=user,
                    claim_token=str(task.claim_token),
                    topics=verdict,
                    note="simulated reviewer",
                    known_topics=topics,
                    sampling_policy=screener.policy.spec.sampling,
                    now=now,
                )
                counts[task.kind] = counts.get(task.kind, 0) + 1
                decided += 1
            progress.advance(task_bar)
    table = Table(title=f"SIMULATED reviewers decided {decided:,} tasks ({mistakes} deliberate mistakes)")
    table.add_column("task kind")
    table.add_column("decided", justify="right")
    for kind, n in sorted(counts.items()):
        table.add_row(kind, f"{n:,}")
    console.print(table)
