"""Review commands: the reviewer simulation (for demos and tests)."""

from __future__ import annotations

import random
import secrets
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from listingguard.cli.common import compact_table, console, count_progress, handle_errors, settings_with
from listingguard.errors import Invalid

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from listingguard.config import Settings
    from listingguard.users.models import User


def _reviewer(session: Session, name: str, now: datetime) -> User:
    """The simulated moderator's account (created with a random password nobody knows)."""
    from listingguard.users import service as users_service

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


@dataclass
class ReviewRun:
    """What the simulated reviewers did: decisions per (task kind, purpose), and their deliberate mistakes."""

    decided: dict[tuple[str, str], int] = field(default_factory=dict)
    mistakes: int = 0

    @property
    def total(self) -> int:
        """All decisions, first and second reviews."""
        return sum(self.decided.values())

    @property
    def second_reviews(self) -> int:
        """Decisions on second-review tasks (created by the reviewers' own first decisions)."""
        return sum(n for (_, purpose), n in self.decided.items() if purpose == "second_review")


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
    settings = settings_with(database_url, model)
    run = run_simulated_reviewers(
        settings, reviewers=reviewers, error_rate=error_rate, limit=limit, seed=seed, kinds=tuple(kinds or ())
    )
    print_review_run(run)


def print_review_run(run: ReviewRun) -> None:
    """The table of what the simulated reviewers decided."""
    table = compact_table(
        "task kind",
        "purpose",
        "decided",
        title=f"SIMULATED reviewers decided {run.total:,} tasks ({run.mistakes} deliberate mistakes)",
        left=2,
    )
    for (kind, purpose), n in sorted(run.decided.items()):
        table.add_row(kind, purpose.replace("_", " "), f"{n:,}")
    console.print(table)


def run_simulated_reviewers(
    settings: Settings, *, reviewers: int, error_rate: float, limit: int, seed: int, kinds: tuple[str, ...] = ()
) -> ReviewRun:
    """Let ``reviewers`` simulated moderators decide up to ``limit`` tasks (0: until none can be claimed),
    only of ``kinds`` if given."""
    from listingguard.db import get_engine, migrate, session_scope
    from listingguard.listings.models import ListingRevision
    from listingguard.review import service as review_service
    from listingguard.screening.loader import load_screener
    from listingguard.users import service as users_service

    url = settings.resolved_database_url
    migrate(url)
    screener = load_screener(settings)
    topics = screener.topics
    rng = random.Random(seed)
    flt = review_service.QueueFilter(kinds=kinds).validate(topics)
    engine = get_engine(url)
    run = ReviewRun()
    decided = 0
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
                run.mistakes += verdict != sorted(sim["truth"])
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
                key = (task.kind, task.purpose)
                run.decided[key] = run.decided.get(key, 0) + 1
                decided += 1
            progress.advance(task_bar)
    return run
