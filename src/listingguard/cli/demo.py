"""The demo: a simulated marketplace moderated end to end on the embedded database."""

from __future__ import annotations

import json
import shutil
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from listingguard.cli.common import console, count_progress, export_lines, handle_errors, path_hint, settings_with
from listingguard.cli.models import print_report
from listingguard.cli.review import ReviewRun, print_review_run, run_simulated_reviewers
from listingguard.cli.server import listen

if TYPE_CHECKING:
    from sqlalchemy import Engine

    from listingguard.config import Settings

TRY_LISTING = json.dumps(
    {
        "id": "try-1",
        "title": "ルイヴィトン 長財布 N級品",
        "price": 3000,
        "category": "wallets",
        "condition": "new",
        "seller_id": "s1",
        "created_at": "2026-11-27T10:00:00Z",
    },
    ensure_ascii=False,
)


@handle_errors
def demo(
    days: Annotated[
        int, typer.Option(min=6, max=365, help="Days to simulate; all but the last 5 train the model.")
    ] = 30,
    per_day: Annotated[int, typer.Option("--per-day", min=200, max=100_000, help="Listings per day.")] = 2000,
    seed: Annotated[int, typer.Option(help="Simulator seed.")] = 7,
    port: Annotated[int, typer.Option(min=1, max=65535, help="Port for the API and moderator UI.")] = 8000,
    serve: Annotated[bool, typer.Option(help="Keep serving the API after the summary (Ctrl-C to stop).")] = True,
    prevalence_scale: Annotated[
        float,
        typer.Option("--prevalence-scale", min=0.1, max=20, help="Multiply violation rates (for quick, small runs)."),
    ] = 1.0,
    reviewers_leave: Annotated[
        int,
        typer.Option("--leave", min=0, help="Tasks left in the queue for you; simulated reviewers decide the rest."),
    ] = 40,
) -> None:
    """Simulate a marketplace, train detectors, moderate new listings, review them, report, and serve the UI.

    Everything runs on SQLite under LISTINGGUARD_HOME/demo (default ./.listingguard/demo), replaced on each
    run; no server to install. The summary prints the `export` lines that make later commands use the
    demo's database and model.
    The data is SYNTHETIC (the built-in simulator), so the numbers illustrate the system, not a real market.
    """
    import uvicorn

    from listingguard.app import create_app
    from listingguard.cli.truth import truth_matrix
    from listingguard.cli.users import generated_password
    from listingguard.db import get_engine, migrate, session_scope
    from listingguard.detection.training import DataSource, TrainingConfig, file_sha256, train
    from listingguard.evaluation import plots
    from listingguard.evaluation.report import evaluate, score_for_evaluation
    from listingguard.intake.flows import ingest_and_screen
    from listingguard.listings.batch import ListingBatch
    from listingguard.listings.io import read_listings, write_jsonl
    from listingguard.screening.loader import load_screener
    from listingguard.simulator.generator import SimulationConfig, simulate_day
    from listingguard.users import service as users_service
    from listingguard.workers import KEEP_ALIVE_SECONDS

    started = time.monotonic()
    listening = listen("127.0.0.1", port) if serve else None  # a busy port fails now, not after the work
    base = settings_with(database=False)
    home = base.home / "demo"
    if home.exists():
        shutil.rmtree(home)
    home.mkdir(parents=True)
    model_dir = home / "model"
    settings = base.model_copy(update={"home": home, "database_url": None, "model_dir": model_dir})
    test_days = 5
    train_days = days - test_days
    config = SimulationConfig(days=days, per_day=per_day, seed=seed, prevalence_scale=prevalence_scale)
    train_path, test_path = home / "train.jsonl", home / "new_listings.jsonl"

    console.rule("[bold]1. simulate a marketplace (synthetic data)")
    train_records: list[dict[str, Any]] = []
    test_records: list[dict[str, Any]] = []
    with count_progress() as progress:
        task = progress.add_task("simulating days", total=days)
        for day in range(days):
            records = sorted(simulate_day(config, day), key=lambda r: r["created_at"])
            (train_records if day < train_days else test_records).extend(records)
            progress.advance(task)
    write_jsonl(train_path, train_records)
    write_jsonl(test_path, test_records)
    console.print(f"{len(train_records):,} labelled listings from days 1–{train_days} → {train_path}")
    console.print(f"{len(test_records):,} new listings from days {train_days + 1}–{days} → {test_path}")

    console.rule(f"[bold]2. train one detector per topic on days 1–{train_days}")
    batch = ListingBatch.from_records(train_records)
    with console.status("training") as status:
        model = train(
            batch,
            TrainingConfig(author="demo", refit=False),
            sources=[DataSource("file", str(train_path), file_sha256(train_path), len(train_records))],
            progress=lambda msg: status.update(msg),
        )
    model.save(model_dir)
    console.print(f"model {model.version} ({len(model.topics)} topics) → {model_dir}")

    console.rule(f"[bold]3. moderate days {train_days + 1}–{days} into the database (SQLite)")
    url = settings.resolved_database_url
    migrate(url)
    engine = get_engine(url)
    production = _register_and_release(settings, engine, model_dir)
    console.print(f"registered {model.version} and released it to production as {production} (the first bundle)")
    screener = load_screener(settings)  # the same three versions as that bundle, so actions name it
    with count_progress() as progress:
        task = progress.add_task("ingesting and screening", total=len(test_records))
        for chunk in read_listings(test_path, chunk_size=1000, known_topics=screener.topics):
            with session_scope(engine) as session:
                ingest_and_screen(session, screener=screener, listings=chunk.listings)
            progress.advance(task, len(chunk.listings))

    console.rule("[bold]4. how well did it do? (against the simulator's ground truth)")
    test_listings = [x for chunk in read_listings(test_path) for x in chunk.listings]
    test_batch = ListingBatch.from_listings(test_listings)
    truth, truth_name = truth_matrix(test_batch, screener.topics, [x.meta for x in test_listings], "simulator")
    scored = score_for_evaluation(screener, test_batch, truth, screener.topics)
    report = evaluate(scored)
    report["truth"] = truth_name
    report_dir = home / "report"
    report_dir.mkdir()
    (report_dir / "report.json").write_text(json.dumps(report, ensure_ascii=False, indent=2), encoding="utf-8")
    plots.pr_curves(scored, report_dir / "pr_curves.png")
    plots.coverage_bars(report, report_dir / "coverage.png")
    plots.reliability_diagrams(report, report_dir / "reliability.png")
    print_report(report)
    console.rule("[bold]5. humans in the loop: accounts, the review queue, simulated reviewers")
    now = datetime.now(UTC)
    moderator_password = generated_password()
    admin_password = generated_password()
    with session_scope(engine) as session:
        users_service.create(
            session, username="moderator", role="moderator", password=moderator_password, actor="demo", now=now
        )
        users_service.create(session, username="admin", role="admin", password=admin_password, actor="demo", now=now)
        service_user = users_service.create(
            session, username="marketplace", role="service", password=None, actor="demo", now=now
        )
        token = users_service.create_token(session, user=service_user, name="demo", actor="demo", now=now)
    before = _queue(engine)
    console.print(f"{before['total']:,} review tasks in the queue: {_by_kind(before)}")
    run = ReviewRun()
    _review_until(engine, settings, reviewers_leave, seed, run)
    if run.total:
        print_review_run(run)
    console.rule("[bold]6. release safely: retrain, backtest, gate")
    backtest_dir = _release_loop(settings, engine, train_records, test_records, production, seed=seed)
    _review_until(engine, settings, reviewers_leave, seed + 50, run)  # and the second reviews they asked for
    after = _queue(engine)
    added = after["total"] - before["total"] + run.total  # second reviews the first decisions asked for
    console.print(
        f"{before['total']:,} tasks + {added:,} second reviews created by the simulated decisions "
        f"− {run.total:,} decided = [bold]{after['total']:,} tasks left for you[/]: {_by_kind(after)}"
    )
    elapsed = time.monotonic() - started

    base_url = f"http://127.0.0.1:{port}"
    use_it = [path_hint(), *export_lines(settings)]
    console.rule("[bold]listingguard demo: done")
    console.print(f"set-up finished in {elapsed:.0f} s", highlight=False)
    lines = []
    if serve:
        lines.append(f"moderator UI       {base_url}/login")
    lines += [
        f"log in as          moderator / {moderator_password}   (admin / {admin_password})",
        "keys               n next · 1-9 topics · Enter violation · o ok · s skip",
        f"report and plots   {report_dir}",
        f"backtest report    {backtest_dir / 'report.html'}",
        f"model and lineage  {model_dir / 'manifest.json'}",
        f"database           {url}",
    ]
    if serve:
        lines.append(f"API docs           {base_url}/docs")
    for line in lines:
        console.print(line, markup=False)
    console.print(
        "[bold]the reviewers above are SIMULATED[/] (they answer from the simulator's ground truth)", soft_wrap=True
    )
    console.print("\nto use this demo's database and model in later commands, run in your shell:")
    for hint in use_it:
        if hint:
            console.print(f"  {hint}", markup=False, soft_wrap=True)
    if serve:
        console.print("\ntry the API while it runs (the token belongs to the demo's `marketplace` service account):")
        console.print(
            f"  curl -s {base_url}/v1/listings -H 'authorization: Bearer {token}' "
            f"-H 'content-type: application/json' -d '{TRY_LISTING}'",
            markup=False,
            soft_wrap=True,
        )
        console.print("\nnext: listingguard --help, docs/commands.md")
        console.print(f"serving on {base_url} — press Ctrl-C to stop")
        assert listening is not None
        server_config = uvicorn.Config(
            create_app(settings.model_copy(update={"model_dir": None}), serving=True),  # follows the aliases
            log_level="warning",
            timeout_keep_alive=KEEP_ALIVE_SECONDS,
        )
        try:
            uvicorn.Server(server_config).run(sockets=[listening])
        finally:
            listening.close()
    else:
        console.print(
            "then serve the moderator UI and the API with `listingguard serve` (the API token for the demo's "
            f"`marketplace` service account: {token}); next: listingguard --help, docs/commands.md",
            markup=False,
            soft_wrap=True,
        )


def _queue(engine: Engine) -> dict[str, Any]:
    """The claimable review tasks now."""
    from listingguard.db import session_scope
    from listingguard.review import service as review_service

    with session_scope(engine) as session:
        return review_service.backlog(session, now=datetime.now(UTC))


def _by_kind(backlog: dict[str, Any]) -> str:
    return ", ".join(f"{k} {n:,}" for k, n in sorted(backlog["by_kind"].items())) or "none"


def _review_until(engine: Engine, settings: Settings, leave: int, seed: int, run: ReviewRun) -> None:
    """Simulated reviewers decide until exactly ``leave`` tasks are left (or nothing more can be claimed).

    Their first decisions create second-review tasks, so they go on in rounds.
    """
    for round_ in range(10):
        remaining = _queue(engine)["total"] - leave
        if remaining <= 0:
            break
        part = run_simulated_reviewers(settings, reviewers=3, error_rate=0.03, limit=remaining, seed=seed + round_)
        for key, n in part.decided.items():
            run.decided[key] = run.decided.get(key, 0) + n
        run.mistakes += part.mistakes
        if part.total == 0:
            break


def _register_and_release(settings: Settings, engine: Engine, model_dir: Path) -> str:
    """Register the demo's model and make it production (a fresh install's first bundle needs no backtest)."""
    from listingguard.db import session_scope
    from listingguard.registry import service as registry_service
    from listingguard.registry.serving import artifact_store
    from listingguard.release import promote as release

    store, now = artifact_store(settings), datetime.now(UTC)
    with session_scope(engine) as session:
        row, _ = registry_service.register_model(
            session, store=store, directory=model_dir, note="trained by the demo", actor="demo", now=now
        )
        event = release.promote(
            session,
            ref=row.version,
            alias="production",
            reason="the demo's first model",
            actor=release.Actor("demo", "admin"),
            settings=settings,
            store=store,
            now=now,
        )
    return str(event.to_bundle)


def _release_loop(
    settings: Settings,
    engine: Engine,
    train_records: list[dict[str, Any]],
    test_records: list[dict[str, Any]],
    production: str,
    *,
    seed: int,
) -> Path:
    """Train a candidate on the first days' decisions, backtest it on the last days, gate, promote or refuse.

    The candidate learns from the training file plus the moderators' (simulated) decisions on listings
    created before the backtest's window, so it is never measured on listings it learned from.
    """
    from listingguard.cli.backtest import print_verdict
    from listingguard.db import session_scope
    from listingguard.detection.training import DataSource, TrainingConfig, train
    from listingguard.errors import Forbidden
    from listingguard.evaluation.backtest import report as backtest_report
    from listingguard.evaluation.backtest import service as backtest_service
    from listingguard.listings.batch import ListingBatch
    from listingguard.registry import service as registry_service
    from listingguard.registry.serving import BundleLoader, artifact_store
    from listingguard.release import promote as release
    from listingguard.review.training_data import from_decisions

    days = sorted({str(r["created_at"])[:10] for r in test_records})
    cut = datetime.fromisoformat(days[len(days) // 2 + 1]).replace(tzinfo=UTC)  # the last two of five days
    end = datetime.fromisoformat(days[-1]).replace(tzinfo=UTC) + timedelta(days=1)
    with session_scope(engine) as session:
        feedback = from_decisions(session, since=datetime(2000, 1, 1, tzinfo=UTC))
    learned = [
        (record, weight)
        for record, weight in zip(feedback.records, feedback.weights, strict=True)
        if datetime.fromisoformat(str(record["created_at"])) < cut
    ]
    records = train_records + [record for record, _ in learned]
    weights = [1.0] * len(train_records) + [weight for _, weight in learned]
    with console.status("training the candidate on the file and the decisions") as status:
        candidate = train(
            ListingBatch.from_records(records),
            TrainingConfig(
                author="demo", refit=False, sample_weights=weights, extra_lineage={"feedback": feedback.lineage}
            ),
            sources=[DataSource("database", "decisions before the backtest window", feedback.sha256, len(learned))],
            progress=lambda msg: status.update(msg),
        )
    candidate_dir = settings.home / "candidate"
    candidate.save(candidate_dir)
    store, now = artifact_store(settings), datetime.now(UTC)
    with session_scope(engine) as session:
        row, _ = registry_service.register_model(
            session,
            store=store,
            directory=candidate_dir,
            note="learned from the demo's decisions",
            actor="demo",
            now=now,
        )
        in_force = registry_service.get_bundle(session, bundle=production)
        assert in_force is not None
        bundle, _ = registry_service.get_or_create_bundle(
            session,
            model_version=row.version,
            rule_set_version=in_force.rule_set_version,
            policy_version=in_force.policy_version,
            actor="demo",
            now=now,
        )
        release.promote(
            session,
            ref=bundle.id,
            alias="candidate",
            reason="the demo's retrained model",
            actor=release.Actor("demo", "admin"),
            settings=settings,
            store=store,
            now=now,
        )
        session.expunge(bundle)
    console.print(f"candidate {row.version} registered; backtesting it on {cut:%Y-%m-%d} – {end:%Y-%m-%d}")
    request = backtest_service.BacktestRequest(
        candidate=bundle, window_start=cut, window_end=end, label_budget=150, exploration=150, seed=seed
    )
    backtest_id, _ = backtest_service.start(engine, request=request, loader=BundleLoader(store), actor="demo", now=now)
    evaluation = run_simulated_reviewers(
        settings.model_copy(update={"model_dir": None}),
        reviewers=3,
        error_rate=0.03,
        limit=0,
        seed=seed + 1,
        kinds=("evaluation",),
    )
    console.print(f"SIMULATED reviewers decided the backtest's {evaluation.total:,} blind evaluation tasks")
    gate = backtest_report.GateConfig(margin=settings.gate_margin, load_budget=settings.gate_load_budget)
    with session_scope(engine) as session:
        data = backtest_report.build(session, backtest_service.get(session, backtest_id=backtest_id), gate=gate)
    out = settings.home / "backtest"
    backtest_report.write(data, out)
    print_verdict(data)
    try:
        with session_scope(engine) as session:
            release.promote(
                session,
                ref=bundle.id,
                alias="production",
                reason="passed the demo's backtest",
                actor=release.Actor("demo", "admin"),
                settings=settings,
                store=store,
                now=datetime.now(UTC),
            )
        console.print(f"[bold green]promoted[/] {bundle.id} to production (the server follows the alias)")
    except Forbidden as exc:
        console.print(f"[bold yellow]not promoted[/]: {exc.message}")
    return out
