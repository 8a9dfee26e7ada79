"""``listingguard backtest …``: replay a candidate bundle on past traffic, with humans labelling what it changes.

Every verb takes ``--json`` (an object whose ``id`` names the backtest).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from listingguard.cli.common import console, count_progress, err_console, handle_errors
from listingguard.cli.registry import actor_name, open_registry, parse_moment

app = typer.Typer(
    help="Backtest a candidate bundle on a past window, with blind evaluation tasks for what it changes.",
    no_args_is_help=True,
)

DatabaseUrl = Annotated[
    str | None,
    typer.Option("--database-url", envvar="LISTINGGUARD_DATABASE_URL", help="Database URL (default: SQLite in HOME)."),
]
Json = Annotated[bool, typer.Option("--json", help="Print one JSON object instead of text.")]
BacktestId = Annotated[
    int, typer.Argument(help="The backtest's id (`listingguard backtest list`).", min=1, max=2**31 - 1)
]


def _emit(data: dict[str, Any]) -> None:
    console.print_json(json.dumps(data, ensure_ascii=False, default=str))


@app.command("start")
@handle_errors
def start(
    candidate: Annotated[str, typer.Option("--candidate", "-c", help="A bundle id, model version or alias.")],
    since: Annotated[str, typer.Option("--from", help="First day (or moment) of the window, ISO, UTC.")],
    until: Annotated[str, typer.Option("--to", help="End of the window (exclusive), ISO, UTC.")],
    label_budget: Annotated[
        int, typer.Option("--label-budget", min=0, max=100_000, help="New labels for listings the models disagree on.")
    ] = 200,
    exploration: Annotated[
        int, typer.Option("--exploration", min=0, max=100_000, help="New labels for listings neither flagged.")
    ] = 200,
    seed: Annotated[int, typer.Option("--seed", min=0, max=2**31 - 1, help="Seed of the random sample.")] = 0,
    shared_topics: Annotated[
        bool, typer.Option("--shared-topics", help="Compare only the topics both models have.")
    ] = False,
    as_json: Json = False,
    actor: Annotated[str | None, typer.Option("--actor", help="Who starts it (recorded).")] = None,
    database_url: DatabaseUrl = None,
) -> None:
    """Replay the window through the candidate, compare with what production did, and create blind
    evaluation tasks for a random sample of what they disagree on (plus exploration of what neither flagged).

    Starting the same candidate and window again resumes an interrupted replay and never creates a task twice.
    """
    from listingguard.db import session_scope
    from listingguard.evaluation.backtest import service
    from listingguard.registry.serving import BundleLoader
    from listingguard.release import promote as release

    settings, (engine, store) = open_registry(database_url)
    now, who = datetime.now(UTC), actor_name(actor)
    with session_scope(engine) as session:
        bundle = release.resolve_bundle(session, ref=candidate, settings=settings, store=store, actor=who, now=now)
        session.expunge(bundle)
    request = service.BacktestRequest(
        candidate=bundle,
        window_start=parse_moment(since, "--from"),
        window_end=parse_moment(until, "--to"),
        label_budget=label_budget,
        exploration=exploration,
        seed=seed,
        shared_topics=shared_topics,
    )
    with count_progress() as progress:
        task = progress.add_task("replaying the window through the candidate", total=None)

        def advance(done: int, total: int) -> None:
            progress.update(task, completed=done, total=total)

        backtest_id, created = service.start(
            engine, request=request, loader=BundleLoader(store), actor=who, now=now, progress=advance
        )
    with session_scope(engine) as session:
        row = service.get(session, backtest_id=backtest_id)
        out = _summary(session, row) | {"created": created}
    if as_json:
        _emit(out)
        return
    verb = "started" if created else "already exists (resumed; no task was created twice)"
    console.print(f"backtest [bold]{backtest_id}[/] {verb}: {out['listings']:,} listings replayed through {bundle.id}")
    console.print(f"{out['tasks']} blind evaluation tasks wait in the review queue (source backtest:{backtest_id})")
    console.print(
        f"next: `listingguard backtest status {backtest_id}`, "
        f"then `listingguard backtest report {backtest_id} --out DIR`"
    )


def _summary(session: Any, row: Any) -> dict[str, Any]:
    from listingguard.evaluation.backtest import service

    progress = service.progress_of(session, row)
    return {
        "id": row.id,
        "candidate": row.candidate_bundle,
        "production": row.production_bundles,
        "window": {"start": row.window_start.isoformat(), "end": row.window_end.isoformat()},
        "status": row.status,
        "listings": row.listings,
        "topics": row.topics,
        "tasks": progress["tasks"],
        "decided": progress["decided"],
        "plan": row.plan,
        "created_at": row.created_at.isoformat(),
        "created_by": row.created_by,
    }


@app.command("status")
@handle_errors
def status(backtest_id: BacktestId, as_json: Json = False, database_url: DatabaseUrl = None) -> None:
    """How far labelling is: evaluation tasks decided out of those needed."""
    from listingguard.db import session_scope
    from listingguard.evaluation.backtest import service

    _, (engine, _store) = open_registry(database_url)
    with session_scope(engine) as session:
        out = _summary(session, service.get(session, backtest_id=backtest_id))
    if as_json:
        _emit(out)
        return
    console.print(
        f"backtest {out['id']} ({out['status']}): {out['decided']} of {out['tasks']} evaluation tasks decided; "
        f"candidate {out['candidate']} on {out['listings']:,} listings"
    )


@app.command("list")
@handle_errors
def list_backtests(as_json: Json = False, database_url: DatabaseUrl = None) -> None:
    """Every backtest, newest first."""
    from listingguard.db import session_scope
    from listingguard.evaluation.backtest import service

    _, (engine, _store) = open_registry(database_url)
    with session_scope(engine) as session:
        items = [_summary(session, row) for row in service.list_backtests(session)]
    if as_json:
        _emit({"items": items})
        return
    table = Table(title=f"{len(items)} backtest(s)", title_justify="left")
    for column in ("id", "candidate", "window", "listings", "decided", "status"):
        table.add_column(column, overflow="fold")
    for i in items:
        table.add_row(
            str(i["id"]),
            i["candidate"],
            f"{i['window']['start'][:10]} → {i['window']['end'][:10]}",
            f"{i['listings']:,}",
            f"{i['decided']}/{i['tasks']}",
            i["status"],
        )
    console.print(table)


@app.command("report")
@handle_errors
def report(
    backtest_id: BacktestId,
    out: Annotated[
        Path | None, typer.Option("--out", "-o", help="Write backtest.json, report.html and plots here.")
    ] = None,
    margin: Annotated[
        float | None,
        typer.Option(
            "--margin", min=0, max=1, help="Recall a topic may lose (default LISTINGGUARD_GATE_MARGIN, 0.02)."
        ),
    ] = None,
    load_budget: Annotated[
        float | None,
        typer.Option(
            "--load-budget", min=0, max=10, help="Extra review allowed (default LISTINGGUARD_GATE_LOAD_BUDGET, 0.1)."
        ),
    ] = None,
    as_json: Json = False,
    database_url: DatabaseUrl = None,
) -> None:
    """Estimates per topic with intervals (change in recall, violations caught by one model only, each
    model's recall and precision), the change in review load, labels spent, and the gate's verdict."""
    from listingguard.db import session_scope
    from listingguard.evaluation.backtest import report as backtest_report
    from listingguard.evaluation.backtest import service

    settings, (engine, _store) = open_registry(database_url)
    gate = backtest_report.GateConfig(
        margin=settings.gate_margin if margin is None else margin,
        load_budget=settings.gate_load_budget if load_budget is None else load_budget,
    )
    with session_scope(engine) as session:
        data = backtest_report.build(session, service.get(session, backtest_id=backtest_id), gate=gate)
    if out is not None:
        written = backtest_report.write(data, out)
        err_console.print(f"wrote {', '.join(p.name for p in written)} to {out}")
    if as_json:
        _emit(data)
        return
    print_verdict(data)


def print_verdict(data: dict[str, Any]) -> None:
    """The gate's verdict with the key numbers per topic."""
    table = Table(title=f"backtest {data['id']}: {data['candidate']}", title_justify="left")
    for column in ("topic", "Δrecall [95%]", "caught by candidate only", "by production only"):
        table.add_column(column, overflow="fold")

    def fmt(d: dict[str, Any], pct: bool = False) -> str:
        if d.get("estimate") is None:
            return "–"
        if pct:
            return f"{d['estimate']:+.1%} [{d['low']:+.1%}, {d['high']:+.1%}]"
        return f"{d['estimate']:.1f} [{d['low']:.1f}, {d['high']:.1f}]"

    for topic in data["topics"]:
        t = data["per_topic"][topic]
        table.add_row(
            topic,
            fmt(t["delta_recall"], True),
            fmt(t["matched"]["candidate_only"]),
            fmt(t["matched"]["production_only"]),
        )
    console.print(table)
    verdict = "[bold green]passed[/]" if data["gate"]["passed"] else "[bold red]not passed[/]"
    console.print(f"gate: {verdict}")
    for reason in data["gate"]["reasons"]:
        console.print(f"  - {reason}")
