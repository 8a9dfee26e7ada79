"""The README's main command, end to end on SQLite (smaller than the default so the suite stays quick)."""

import json
import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from listingguard.cli import app
from listingguard.config import get_settings


@pytest.mark.slow
def test_demo_runs_end_to_end(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LISTINGGUARD_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("LISTINGGUARD_DATABASE_URL", raising=False)
    monkeypatch.delenv("LISTINGGUARD_MODEL_DIR", raising=False)
    get_settings.cache_clear()
    result = CliRunner().invoke(
        app,
        ["demo", "--no-serve", "--days", "8", "--per-day", "600", "--prevalence-scale", "4"],
        env={"COLUMNS": "80"},  # a default terminal: nothing in the summary may be cut
    )
    get_settings.cache_clear()
    assert result.exit_code == 0, result.output
    out = result.output
    home = tmp_path / "home" / "demo"
    report = json.loads((home / "report" / "report.json").read_text())
    assert report["truth"].startswith("simulator")
    assert report["coverage"]["caught_by_rules_plus_ml"] > report["coverage"]["caught_by_rules"]
    assert (home / "listingguard.db").exists() and (home / "model" / "manifest.json").exists()
    assert "coverage: rules alone catch" in out

    # 80 columns: every topic name, the table header and the SIMULATED notice in full
    for topic in report["topics"]:
        assert re.search(rf"^ ?{topic} ", out, re.MULTILINE), topic
    assert "rules→+ML" in out and "…" not in out
    assert "the reviewers above are SIMULATED (they answer from the simulator's ground truth)" in out

    # the counts reconcile, and the queue holds what --leave (default 40, as the README says) asked for
    before, added, decided, left = (
        int(x.replace(",", ""))
        for x in re.search(
            r"([\d,]+) tasks \+ ([\d,]+) second reviews created by the simulated decisions − ([\d,]+) decided "
            r"= ([\d,]+) tasks left for you",
            out,
        ).groups()
    )
    assert before + added - decided == left == 40
    assert f"SIMULATED reviewers decided {decided:,} tasks" in out

    # --no-serve: no address of a server that is not running
    assert "/login" not in out and "/docs" not in out and "while it runs" not in out
    assert f"export LISTINGGUARD_DATABASE_URL=sqlite:///{(home / 'listingguard.db').resolve()}" in out
    assert f"export LISTINGGUARD_ARTIFACT_STORE={(home / 'artifacts').resolve().as_uri()}" in out
    assert "LISTINGGUARD_MODEL_DIR" not in out  # later commands follow the registry's production alias

    # the release loop: the first model is production, a retrained candidate is backtested and gated
    assert "released it to production as bundle-" in out
    assert re.search(r"backtest \d+: bundle-", out) and "gate: " in out
    assert ("promoted bundle-" in out) != ("not promoted" in out)
    backtest = json.loads((home / "backtest" / "backtest.json").read_text())
    assert backtest["labels"]["decided"] == backtest["labels"]["new_tasks"] > 0
    assert set(backtest["gate"]) >= {"passed", "reasons"}

    # the next command: with the printed export it finds the demo's accounts ...
    exported = dict(re.findall(r"export (LISTINGGUARD_\w+)=(\S+)", out))
    get_settings.cache_clear()
    users = CliRunner().invoke(app, ["users", "list"], env={"COLUMNS": "200", **exported})
    assert users.exit_code == 0 and "moderator" in users.output and "marketplace" in users.output
    # ... and without it, it says it is creating a new database and where the demo's is
    get_settings.cache_clear()
    fresh = CliRunner().invoke(app, ["users", "list"], env={"COLUMNS": "200"})
    get_settings.cache_clear()
    assert fresh.exit_code == 0
    assert "creating a new, empty one" in fresh.output and f"The demo's database is {home}" in fresh.output
