"""``listingguard experiment plan`` and ``simulate`` in-process."""

import json

from typer.testing import CliRunner

from listingguard.cli import app

runner = CliRunner()
BASE = ["--prevalence", "0.003", "--per-day", "100000", "--overlap", "0.8"]


def run(*args: str):
    return runner.invoke(app, list(args), env={"COLUMNS": "200"})


def test_plan_json() -> None:
    result = run("experiment", "plan", *BASE, "--json")
    assert result.exit_code == 0, result.output
    out = json.loads(result.output)
    assert out["speedup"] > 5
    assert out["paired"]["expected_days"] < out["split"]["expected_days"]
    assert len(out["paired"]["design"]["efficacy"]) == len(out["paired"]["look_days"])


def test_plan_table_and_looks() -> None:
    result = run("experiment", "plan", *BASE, "--looks", "5", "--effect", "0.2")
    assert result.exit_code == 0, result.output
    assert "paired" in result.output and "split" in result.output and "speed-up" in result.output


def test_simulate_aa_json() -> None:
    result = run("experiment", "simulate", *BASE, "--runs", "500", "--seed", "3", "--aa", "--json")
    assert result.exit_code == 0, result.output
    out = json.loads(result.output)
    assert out["runs"] == 500 and out["aa"] is True
    assert 0 <= out["false_positive_rate"] <= 0.1
    assert out["speedup"] > 1


def test_simulate_table() -> None:
    result = run("experiment", "simulate", *BASE, "--runs", "200", "--seed", "1")
    assert result.exit_code == 0, result.output
    assert "median days" in result.output


def test_errors_are_one_line() -> None:
    for args in (
        ["experiment", "plan", "--prevalence", "2", "--per-day", "100", "--overlap", "0.5"],
        ["experiment", "plan", *BASE, "--effect", "0"],
        ["experiment", "plan", *BASE, "--spending", "haybittle"],
        [
            "experiment",
            "simulate",
            "--prevalence",
            "0.003",
            "--per-day",
            "100000",
            "--overlap",
            "0.6",
            "--recall",
            "0.7",
            "--runs",
            "10",
        ],
    ):
        result = run(*args)
        assert result.exit_code == 1, (args, result.output)
        assert result.output.strip().startswith("error:") and len(result.output.strip().splitlines()) == 1
