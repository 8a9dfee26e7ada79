"""The command line, run in-process through Typer's runner against real files and databases."""

import json
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from listingguard.cli import app
from listingguard.config import get_settings
from listingguard.db import get_engine
from listingguard.listings.models import ListingRevision
from tests.conftest import listing

runner = CliRunner()


def run(*args: str, env: dict[str, str] | None = None, input: str | None = None):
    get_settings.cache_clear()
    result = runner.invoke(app, list(args), env={"COLUMNS": "200", **(env or {})}, input=input)
    get_settings.cache_clear()
    return result


def write_jsonl(path: Path, records: list) -> Path:
    path.write_text(
        "".join((r if isinstance(r, str) else json.dumps(r, ensure_ascii=False)) + "\n" for r in records),
        encoding="utf-8",
    )
    return path


def test_help_explains_every_command() -> None:
    result = run("--help")
    assert result.exit_code == 0
    for command in ("demo", "simulate", "ingest", "train", "score", "evaluate", "serve", "migrate"):
        assert command in result.output
        assert run(command, "--help").exit_code == 0


def test_simulate_is_deterministic_by_seed(tmp_path: Path) -> None:
    a, b, c = tmp_path / "a.jsonl", tmp_path / "b.jsonl", tmp_path / "c.jsonl"
    assert run("simulate", "--days", "2", "--per-day", "50", "--seed", "3", "--out", str(a)).exit_code == 0
    assert run("simulate", "--days", "2", "--per-day", "50", "--seed", "3", "--out", str(b)).exit_code == 0
    assert run("simulate", "--days", "2", "--per-day", "50", "--seed", "4", "--out", str(c)).exit_code == 0
    assert a.read_bytes() == b.read_bytes() != c.read_bytes()
    assert len(a.read_text().splitlines()) == 100


class TestIngest:
    def test_reports_bad_lines_and_stores_good_ones(self, tmp_path: Path, database_url: str) -> None:
        path = write_jsonl(
            tmp_path / "in.jsonl", [listing(id="a"), '{"broken', listing(id="b", price=-1), listing(id="c")]
        )
        errors = tmp_path / "errors.jsonl"
        result = run("ingest", str(path), "--database-url", database_url, "--errors", str(errors))
        assert result.exit_code == 3, result.output  # stored the good ones, rejected some
        assert "line 2: malformed JSON" in result.output and "line 3, field price" in result.output
        assert [json.loads(x)["line"] for x in errors.read_text().splitlines()] == [2, 3]
        with get_engine(database_url).connect() as conn:
            assert conn.execute(select(func.count()).select_from(ListingRevision)).scalar_one() == 2
        again = run("ingest", str(path), "--database-url", database_url)
        assert "listings unchanged" in again.output

    def test_strict_stores_nothing(self, tmp_path: Path, database_url: str) -> None:
        path = write_jsonl(tmp_path / "in.jsonl", [listing(id="a"), listing(id="b", price=-1)])
        result = run("ingest", str(path), "--strict", "--database-url", database_url)
        assert result.exit_code == 1 and "nothing was stored" in result.output
        with get_engine(database_url).connect() as conn:
            assert conn.execute(select(func.count()).select_from(ListingRevision)).scalar_one() == 0

    def test_missing_file_is_a_clear_error(self, database_url: str) -> None:
        result = run("ingest", "/nonexistent/file.jsonl", "--database-url", database_url)
        assert result.exit_code == 1 and "no such file" in result.output and "Traceback" not in result.output


@pytest.mark.parametrize("suffix", [".jsonl", ".parquet"])
def test_score_writes_one_row_per_listing(tmp_path: Path, trained_model: Path, sim_records, suffix: str) -> None:
    source = write_jsonl(tmp_path / "in.jsonl", [*sim_records[:200], "not json"])
    out = tmp_path / f"out{suffix}"
    result = run("score", "--model", str(trained_model), "--input", str(source), "--output", str(out))
    assert result.exit_code == 3, result.output  # scored the good ones, skipped one
    assert "1 invalid records (1 errors) were skipped" in result.output
    if suffix == ".jsonl":
        rows = [json.loads(x) for x in out.read_text().splitlines()]
        assert {"id", "action", "topics", "scores", "rules", "versions"} <= set(rows[0])
    else:
        rows = pq.read_table(out).to_pylist()
        assert "score_counterfeit" in rows[0]
    assert [r["id"] for r in rows] == [r["id"] for r in sim_records[:200]]
    assert not list(tmp_path.glob("*.partial"))


def test_score_refuses_a_bad_model_directory(tmp_path: Path) -> None:
    source = write_jsonl(tmp_path / "in.jsonl", [listing()])
    result = run("score", "--model", str(tmp_path), "--input", str(source), "--output", str(tmp_path / "o.jsonl"))
    assert result.exit_code == 1 and "not a model directory" in result.output
    assert not (tmp_path / "o.jsonl").exists()


class TestTrainAndEvaluate:
    def test_train_then_evaluate(self, tmp_path: Path, sim_records) -> None:
        data = write_jsonl(tmp_path / "train.jsonl", sim_records)
        out = tmp_path / "model"
        result = run("train", "--data", str(data), "--out", str(out), "--author", "cli-test", "--no-refit")
        assert result.exit_code == 0, result.output
        manifest = json.loads((out / "manifest.json").read_text())
        assert manifest["author"] == "cli-test"
        assert manifest["training_data"]["sources"][0]["sha256"]
        report_dir = tmp_path / "report"
        result = run("evaluate", "--model", str(out), "--data", str(data), "--out", str(report_dir), "--by-day")
        assert result.exit_code == 0, result.output
        by_day = json.loads((report_dir / "by_day.json").read_text())
        assert len(by_day) == len({r["created_at"][:10] for r in sim_records})
        day = next(iter(by_day.values()))
        assert {"rules_recall", "policy_recall", "model_recall_at_precision"} <= set(day["counterfeit"])
        assert (report_dir / "recall_by_day.png").read_bytes()[:4] == b"\x89PNG"
        reliability = json.loads((report_dir / "report.json").read_text())["topics"]["counterfeit"]
        assert 0 <= reliability["ece"] < 0.2 and reliability["reliability"]
        report = json.loads((report_dir / "report.json").read_text())
        assert report["truth"].startswith("simulator")
        assert report["coverage"]["caught_by_rules_plus_ml"] >= report["coverage"]["caught_by_rules"]
        for name in ("pr_curves.png", "coverage.png", "reliability.png"):
            assert (report_dir / name).read_bytes()[:4] == b"\x89PNG"

    def test_train_a_linear_svm(self, tmp_path: Path, sim_records) -> None:
        data = write_jsonl(tmp_path / "train.jsonl", sim_records)
        out = tmp_path / "model"
        args = ("train", "--data", str(data), "--out", str(out), "--no-refit", "--raw-ngrams")
        result = run(*args, "--loss", "squared_hinge")
        assert result.exit_code == 0, result.output
        manifest = json.loads((out / "manifest.json").read_text())
        assert manifest["feature_spec"]["raw_ngrams"] is True
        assert manifest["detector_params"]["loss"] == "squared_hinge"
        wrong = run(*args[:4], str(tmp_path / "other"), "--loss", "hinge")
        assert wrong.exit_code == 1 and "use log_loss or squared_hinge" in wrong.output
        assert not (tmp_path / "other").exists()

    def test_empty_training_file(self, tmp_path: Path) -> None:
        data = tmp_path / "empty.jsonl"
        data.write_text("")
        result = run("train", "--data", str(data), "--out", str(tmp_path / "m"))
        assert result.exit_code == 1 and "no valid listings" in result.output
        assert not (tmp_path / "m").exists()

    def test_existing_output_directory(self, tmp_path: Path, trained_model: Path) -> None:
        data = write_jsonl(tmp_path / "d.jsonl", [listing()])
        result = run("train", "--data", str(data), "--out", str(trained_model))
        assert result.exit_code == 1 and "already exists" in result.output


def test_migrate(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'm.db'}"
    result = run("migrate", "--database-url", url)
    versions = Path(__file__).resolve().parents[2] / "src" / "listingguard" / "migrations" / "versions"
    head = max(p.stem for p in versions.glob("0*.py"))  # revision ids are the file names, numbered
    assert result.exit_code == 0 and head in result.output
