"""The README's main command, end to end on SQLite (smaller than the default so the suite stays quick)."""

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from listingguard.cli import app
from listingguard.config import get_settings


@pytest.mark.slow
def test_demo_runs_end_to_end(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LISTINGGUARD_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("LISTINGGUARD_DATABASE_URL", raising=False)
    get_settings.cache_clear()
    result = CliRunner().invoke(
        app,
        ["demo", "--no-serve", "--days", "8", "--per-day", "600", "--prevalence-scale", "4"],
        env={"COLUMNS": "200"},
    )
    get_settings.cache_clear()
    assert result.exit_code == 0, result.output
    home = tmp_path / "home" / "demo"
    report = json.loads((home / "report" / "report.json").read_text())
    assert report["truth"].startswith("simulator")
    assert report["coverage"]["caught_by_rules_plus_ml"] > report["coverage"]["caught_by_rules"]
    assert (home / "listingguard.db").exists() and (home / "model" / "manifest.json").exists()
    assert "coverage: rules alone catch" in result.output and "/docs" in result.output
