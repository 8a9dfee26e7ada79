"""Model commands: train, score, evaluate."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

import pyarrow as pa
import pyarrow.parquet as pq
import typer
from rich.table import Table
from sqlalchemy.engine import make_url

from listingguard.cli.common import (
    byte_progress,
    console,
    err_console,
    handle_errors,
    settings_with,
    truth_matrix,
)
from listingguard.config import Settings, get_settings
from listingguard.db import get_engine, session_scope
from listingguard.detection.features import FeatureSpec
from listingguard.detection.training import DataSource, TrainingConfig, file_sha256
from listingguard.detection.training import train as train_model
from listingguard.errors import Invalid, Unavailable
from listingguard.evaluation import plots
from listingguard.evaluation.report import by_day_series, evaluate_by_day, score_for_evaluation
from listingguard.evaluation.report import evaluate as evaluate_report
from listingguard.listings.batch import ListingBatch
from listingguard.listings.io import RecordError, input_size, read_listings
from listingguard.listings.schemas import ListingIn
from listingguard.review.training_data import from_decisions
from listingguard.screening.loader import load_screener
from listingguard.screening.pipeline import Screener, ScreeningResult


def load_listings(paths: list[Path], *, strict: bool, what: str) -> tuple[list[ListingIn], list[RecordError]]:
    """Read whole files into memory (training and evaluation sets), with a progress bar."""
    listings: list[ListingIn] = []
    errors: list[RecordError] = []
    with byte_progress() as progress:
        for path in paths:
            task = progress.add_task(f"reading {path.name}", total=input_size(path))
            for chunk in read_listings(path, chunk_size=5000):
                listings.extend(chunk.listings)
                errors.extend(chunk.errors)
                progress.update(task, completed=chunk.position)
    if errors:
        for error in errors[:10]:
            err_console.print(f"  [red]✗[/] {error}")
        if strict:
            raise Invalid(f"{len(errors):,} invalid records in the {what} data (--strict); nothing was done")
        err_console.print(f"[yellow]skipped {len(errors):,} invalid records[/]")
    if not listings:
        raise Invalid(f"the {what} data has no valid listings; check the file")
    return listings, errors


@handle_errors
def train(
    out: Annotated[Path, typer.Option("--out", "-o", help="New model directory (must not exist or be empty).")],
    data: Annotated[
        list[Path] | None, typer.Option("--data", "-d", help="Labelled listings (.jsonl/.parquet/.csv); repeatable.")
    ] = None,
    from_db: Annotated[bool, typer.Option("--from-db", help="Train on moderators' decisions in the database.")] = False,
    since: Annotated[str | None, typer.Option(help="With --from-db: first day of decisions (YYYY-MM-DD).")] = None,
    until: Annotated[
        str | None, typer.Option(help="With --from-db: day after the last decisions (YYYY-MM-DD).")
    ] = None,
    database_url: Annotated[
        str | None, typer.Option("--database-url", envvar="LISTINGGUARD_DATABASE_URL", help="Database URL (--from-db).")
    ] = None,
    topics: Annotated[list[str] | None, typer.Option("--topics", help="Train only these topics (repeatable).")] = None,
    holdout: Annotated[
        float, typer.Option(min=0.0, max=0.5, help="Most recent share of rows kept for the manifest's metrics.")
    ] = 0.2,
    refit: Annotated[bool, typer.Option(help="Refit on all rows after measuring on the hold-out.")] = True,
    embeddings: Annotated[bool, typer.Option(help="Add multilingual sentence embeddings (slower).")] = False,
    tokenizer: Annotated[str, typer.Option(help="char, sudachi or fugashi word features.")] = "char",
    raw_ngrams: Annotated[
        bool, typer.Option("--raw-ngrams", help="Add n-grams of the text as written (digits, case); for spam.")
    ] = False,
    loss: Annotated[
        str,
        typer.Option(help="log_loss (logistic regression) or squared_hinge (linear SVM, better on SMS-like spam)."),
    ] = "log_loss",
    min_positives: Annotated[int, typer.Option("--min-positives", min=1, help="Minimum violations per topic.")] = 5,
    author: Annotated[str, typer.Option(help="Recorded in the manifest (default: your user name).")] = "",
    strict: Annotated[
        bool, typer.Option("--strict", help="Fail on any invalid record instead of skipping it.")
    ] = False,
) -> None:
    """Train one calibrated detector per topic named in the labels and write a model directory.

    Labels come from files (--data) or from moderators' decisions (--from-db --since DATE), where each
    exploration label is weighted by 1/pi. The most recent --holdout share is kept out to measure the
    model; the manifest records the data hash, label window, features, parameters, metrics, library and
    code versions and author.
    """
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise Invalid(f"{out} already exists; choose a new --out directory (models are immutable)")
    if tokenizer not in ("char", "sudachi", "fugashi"):
        raise Invalid(f"--tokenizer {tokenizer!r}: use char, sudachi or fugashi")
    if loss not in ("log_loss", "squared_hinge"):
        raise Invalid(f"--loss {loss!r}: use log_loss or squared_hinge")
    if bool(data) == from_db:
        raise Invalid("give either --data FILE or --from-db --since DATE")
    weights = None
    extra: dict[str, Any] = {}
    if from_db:
        if not since:
            raise Invalid("--from-db needs --since YYYY-MM-DD (the first day of decisions to learn from)")
        url = settings_with(database_url).resolved_database_url
        with session_scope(get_engine(url)) as session:
            labelled = from_decisions(
                session, since=_day(since, "--since"), until=_day(until, "--until") if until else None
            )
        batch = ListingBatch.from_records(labelled.records)
        weights = labelled.weights
        sources = [
            DataSource(
                "database", make_url(url).render_as_string(hide_password=True), labelled.sha256, len(labelled.records)
            )
        ]
        extra = {"feedback": labelled.lineage}
    else:
        assert data is not None
        listings, _ = load_listings(data, strict=strict, what="training")
        sources = [DataSource("file", str(p), file_sha256(p), 0) for p in data]
        batch = ListingBatch.from_listings(listings)
    spec = FeatureSpec(embeddings=embeddings, tokenizer=tokenizer, raw_ngrams=raw_ngrams)  # type: ignore[arg-type]
    config = TrainingConfig(
        topics=topics or None,
        detector_params={"loss": loss},
        holdout_fraction=holdout,
        refit=refit,
        spec=spec,
        author=author,
        min_positives=min_positives,
        sample_weights=weights,
        extra_lineage=extra,
    )
    with console.status("training") as status:
        model = train_model(batch, config, sources=sources, progress=lambda msg: status.update(msg))
    model.save(out)
    _print_manifest_metrics(model.manifest)
    console.print(f"model [bold]{model.version}[/] written to {out}")


def _day(value: str, option: str) -> datetime:
    try:
        return datetime.fromisoformat(value).replace(tzinfo=UTC)
    except ValueError:
        raise Invalid(f"{option} {value!r} is not a date; use YYYY-MM-DD") from None


def _print_manifest_metrics(manifest: dict[str, Any]) -> None:
    table = Table(title=f"hold-out metrics ({manifest['holdout']['rows']:,} most recent rows)")
    for column in ("topic", "positives", "PR-AUC", "recall @ P≥0.9", "ECE"):
        table.add_column(column, justify="right" if column != "topic" else "left")
    for topic, m in sorted(manifest["metrics"].items()):
        pr = m.get("pr_auc")
        table.add_row(
            topic,
            str(m["positives"]),
            "–" if pr is None else f"{pr:.3f}",
            f"{m['recall_at_precision_0.9']:.3f}",
            f"{m['ece']:.4f}",
        )
    console.print(table)


def _parquet_rows(results: list[ScreeningResult], topics: list[str]) -> pa.Table:
    return pa.table(
        {
            "id": [r.listing_id for r in results],
            "action": [r.action for r in results],
            "topics": [r.topics for r in results],
            "rules": [r.rules for r in results],
            **{f"score_{t}": [r.scores.get(t) for r in results] for t in topics},
            "priority": [r.priority for r in results],
            "reasons": [json.dumps(r.reasons, ensure_ascii=False) for r in results],
            "rule_hits": [json.dumps([h.to_dict() for h in r.rule_hits], ensure_ascii=False) for r in results],
            "explanations": [json.dumps(r.explanations, ensure_ascii=False) for r in results],
            "model_version": [r.model_version for r in results],
            "rule_set_version": [r.rule_set_version for r in results],
            "policy_version": [r.policy_version for r in results],
        }
    )


def _scoring_screener(model: Path | None, rules: Path | None, policy: Path | None) -> Screener:
    """``--model``/``--rules``/``--policy`` if given; otherwise the bundle in production, when a database
    with a registry is configured; otherwise the built-in rules and policy alone."""
    settings = settings_with(None, None)
    if model is None and rules is None and policy is None and settings.model_dir is None:
        production = _production_screener(settings)
        if production is not None:
            return production
    return load_screener(settings, model_dir=model, rules_dir=rules, policy_path=policy)


def _production_screener(settings: Settings) -> Screener | None:
    """The production bundle's screener, or None when no database or nothing released exists yet."""
    from sqlalchemy import inspect
    from sqlalchemy.exc import OperationalError

    from listingguard.db import session_factory
    from listingguard.registry.serving import LiveDeployment, describe

    url = settings.resolved_database_url
    if not settings.database_url and not (settings.home / "listingguard.db").is_file():
        return None
    engine = get_engine(url)
    try:
        if not inspect(engine).has_table("aliases"):
            return None
        deployment = LiveDeployment.from_registry(settings, session_factory(engine)).current
    except OperationalError as exc:
        raise Unavailable(
            f"cannot reach the database to find the production bundle ({exc.orig}); "
            "pass --model DIR to score without it"
        ) from None
    if deployment.source == "defaults":
        return None
    err_console.print(describe(deployment))
    return deployment.production


@handle_errors
def score(
    input: Annotated[Path, typer.Option("--input", "-i", help="Listings (.jsonl/.jsonl.gz/.parquet/.csv).")],
    output: Annotated[Path, typer.Option("--output", "-o", help="Results: .jsonl (one line per listing) or .parquet.")],
    model: Annotated[
        Path | None,
        typer.Option(
            "--model", "-m", envvar="LISTINGGUARD_MODEL_DIR", help="Model directory; without one, rules only."
        ),
    ] = None,
    rules: Annotated[
        Path | None, typer.Option("--rules", help="Rule-set directory (default: the built-in rules).")
    ] = None,
    policy: Annotated[Path | None, typer.Option("--policy", help="Policy file (default: the built-in policy).")] = None,
    explain: Annotated[bool, typer.Option(help="Add rule spans and top model features for flagged listings.")] = True,
    chunk_size: Annotated[
        int, typer.Option("--chunk-size", min=1, max=200_000, help="Listings scored per batch.")
    ] = 5000,
    strict: Annotated[bool, typer.Option("--strict", help="Stop at the first invalid record.")] = False,
) -> None:
    """Score a file of any size, streaming, without touching the database.

    Writes one result per valid listing: id, action, topics, scores, rules, reasons, explanations and the
    model, rule-set and policy versions. Invalid records are reported and skipped (or stop the run with
    --strict). Output is written to a temporary file and renamed at the end, so it is never half-written.
    """
    if output.suffix not in (".jsonl", ".parquet"):
        raise Invalid(f"--output {output}: use a .jsonl or .parquet file name")
    screener = _scoring_screener(model, rules, policy)
    if screener.model is None:
        err_console.print("[yellow]no model (--model, or one released to production): scoring with rules only[/]")
    topics = screener.model.topics if screener.model else []
    output.parent.mkdir(parents=True, exist_ok=True)
    tmp = output.with_name(output.name + ".partial")
    counts = {"allow": 0, "review": 0, "hide": 0}
    errors = 0
    writer: pq.ParquetWriter | None = None
    try:
        with byte_progress() as progress, tmp.open("w", encoding="utf-8") as fh:
            task = progress.add_task("scoring", total=input_size(input))
            for chunk in read_listings(input, chunk_size=chunk_size):
                for error in chunk.errors:
                    errors += 1
                    if errors <= 10:
                        err_console.print(f"  [red]✗[/] {error}")
                    if strict:
                        raise Invalid(f"{error} (--strict); no output written")
                if chunk.listings:
                    results = screener.screen(ListingBatch.from_listings(chunk.listings), explain=explain)
                    for r in results:
                        counts[r.action] += 1
                    if output.suffix == ".parquet":
                        table = _parquet_rows(results, topics)
                        if writer is None:
                            fh.close()
                            writer = pq.ParquetWriter(tmp, table.schema)
                        writer.write_table(table)
                    else:
                        for r in results:
                            fh.write(json.dumps(r.to_record(), ensure_ascii=False, separators=(",", ":")))
                            fh.write("\n")
                progress.update(task, completed=chunk.position)
        if writer is not None:
            writer.close()
            writer = None
        if output.suffix == ".parquet" and sum(counts.values()) == 0:
            pq.write_table(_parquet_rows([], topics), tmp)
        tmp.replace(output)
    finally:
        if writer is not None:
            writer.close()
        if tmp.exists():
            tmp.unlink()
    total = sum(counts.values())
    console.print(
        f"scored {total:,} listings → {output}: "
        + ", ".join(f"{a} {n:,} ({n / max(total, 1):.2%})" for a, n in counts.items())
        + (f"; {errors:,} invalid records skipped" if errors else "")
    )


@handle_errors
def evaluate(
    model: Annotated[Path, typer.Option("--model", "-m", help="Model directory.")],
    data: Annotated[list[Path], typer.Option("--data", "-d", help="Labelled listings; repeatable.")],
    out: Annotated[Path, typer.Option("--out", "-o", help="Report directory (JSON + PNG).")],
    rules: Annotated[Path | None, typer.Option("--rules", help="Rule-set directory.")] = None,
    policy: Annotated[Path | None, typer.Option("--policy", help="Policy file.")] = None,
    label_source: Annotated[
        str, typer.Option("--label-source", help="auto, labels or simulator (meta.sim.truth).")
    ] = "auto",
    by_day: Annotated[
        bool,
        typer.Option("--by-day", help="Also report recall per topic per day (rules, policy, model at 90% precision)."),
    ] = False,
) -> None:
    """Measure a model and the rule set on labelled data: precision, recall, PR-AUC, recall at 90% precision,
    calibration (reliability diagrams, ECE), and how many more violations rules + ML catch than rules alone
    at the same precision. With --by-day, also how recall moves from day to day (drift).
    """
    if label_source not in ("auto", "labels", "simulator"):
        raise Invalid("--label-source must be auto, labels or simulator")
    screener = load_screener(get_settings(), model_dir=model, rules_dir=rules, policy_path=policy)
    listings, _ = load_listings(data, strict=False, what="evaluation")
    batch = ListingBatch.from_listings(listings)
    topics = screener.topics
    truth, truth_name = truth_matrix(batch, topics, [x.meta for x in listings], label_source)
    with console.status("scoring"):
        scored = score_for_evaluation(screener, batch, truth, topics)
    report = evaluate_report(scored)
    report["truth"] = truth_name
    report["versions"] = {
        "model": screener.model_version,
        "rules": screener.rules.version,
        "policy": screener.policy.version,
    }
    out.mkdir(parents=True, exist_ok=True)
    (out / "report.json").write_text(json.dumps(report, ensure_ascii=False, indent=2), encoding="utf-8")
    written = [
        plots.pr_curves(scored, out / "pr_curves.png"),
        plots.coverage_bars(report, out / "coverage.png"),
        plots.reliability_diagrams(report, out / "reliability.png"),
    ]
    if by_day:
        daily = evaluate_by_day(scored)
        (out / "by_day.json").write_text(json.dumps(daily, ensure_ascii=False, indent=2), encoding="utf-8")
        series = {
            "rules alone": by_day_series(daily, "rules_recall"),
            "policy (rules + ML)": by_day_series(daily, "policy_recall"),
            "model, recall at 90% precision": by_day_series(daily, "model_recall_at_precision"),
        }
        written.append(
            plots.recall_by_day(
                series, sorted(daily), out / "recall_by_day.png", title=f"recall per day ({screener.model_version})"
            )
        )
    print_report(report)
    console.print(f"report: {out / 'report.json'}; plots: {', '.join(p.name for p in written)}")


def print_report(report: dict[str, Any]) -> None:
    """The evaluation summary as a table."""
    table = Table(
        title=f"evaluation on {report['rows']:,} listings (truth: {report.get('truth', 'labels')})",
        caption="pol. = the policy's actions (review or hide); R@P.9 = model recall at 90% precision; "
        "rules→+ML = violations caught by rules alone → by rules + ML at the rules' precision",
    )
    for column in ("topic", "n", "pol.P", "pol.R", "rule P", "rule R", "PR-AUC", "R@P.9", "rules→+ML"):
        table.add_column(column, justify="left" if column == "topic" else "right")

    def pct(rate: dict[str, Any]) -> str:
        """A rate to two decimals, or a dash when undefined."""
        return "–" if rate["value"] is None else f"{rate['value']:.2f}"

    for topic, e in report["topics"].items():
        cov = e.get("coverage")
        table.add_row(
            topic,
            str(e["positives"]),
            pct(e["policy"]["precision"]),
            pct(e["policy"]["recall"]),
            pct(e["rules_only"]["precision"]),
            pct(e["rules_only"]["recall"]),
            "–" if e.get("pr_auc") is None else f"{e['pr_auc']:.3f}",
            "–" if "recall_at_precision_0.9" not in e else f"{e['recall_at_precision_0.9']:.2f}",
            "–" if not cov else f"{cov['rules']['caught']}→{cov['rules_plus_ml']['caught']}",
        )
    console.print(table)
    cov = report["coverage"]
    if cov["lift"] is not None:
        console.print(
            f"coverage: rules alone catch {cov['caught_by_rules']:,} violations, "
            f"rules + ML {cov['caught_by_rules_plus_ml']:,} "
            f"at the same precision: [bold]+{cov['lift'] * 100:.1f}%[/] (the OpML'20 paper reports +554.8% on its data)"
        )
