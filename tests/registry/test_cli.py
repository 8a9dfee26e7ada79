"""``listingguard models …`` end to end: every verb, its ``--json`` object, and its errors."""

from __future__ import annotations

import json
from pathlib import Path

from tests.cli.test_cli import run
from tests.registry.conftest import variant


def _json(result) -> dict:  # type: ignore[no-untyped-def]
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def test_models_lifecycle_from_the_command_line(tmp_path: Path, database_url: str, trained_model: Path) -> None:
    env = {"LISTINGGUARD_HOME": str(tmp_path / "home"), "LISTINGGUARD_DATABASE_URL": database_url}
    registered = _json(run("models", "register", str(trained_model), "--note", "baseline", "--json", env=env))
    version = registered["version"]
    assert registered["created"] is True and registered["training_data"][0]["rows"] > 0
    assert _json(run("models", "register", str(trained_model), "--json", env=env))["created"] is False
    second = _json(run("models", "register", str(variant(trained_model, tmp_path / "b", "model-b")), "--json", env=env))

    listed = _json(run("models", "list", "--never-served", "--json", env=env))
    assert {m["version"] for m in listed["items"]} == {version, "model-b"}

    first = _json(run("models", "promote", version, "--alias", "production", "--reason", "go", "--json", env=env))
    assert first["action"] == "first" and first["to_bundle"].startswith("bundle-")
    refused = run("models", "promote", second["version"], "--alias", "production", "--reason", "go", env=env)
    assert refused.exit_code == 1 and "no backtest of" in refused.output and "Traceback" not in refused.output
    forced = _json(
        run(
            "models",
            "promote",
            "model-b",
            "-a",
            "production",
            "-r",
            "hotfix",
            "--override-reason",
            "hotfix before the weekend",
            "--json",
            env=env,
        )
    )
    assert forced["action"] == "override" and forced["actor"].startswith("cli")
    back = _json(run("models", "rollback", "--reason", "worse", "--json", env=env))
    assert (back["from_bundle"], back["to_bundle"], back["action"]) == (
        forced["to_bundle"],
        first["to_bundle"],
        "rollback",
    )

    history = _json(run("models", "history", "--alias", "production", "--json", env=env))
    assert [e["action"] for e in history["items"]] == ["rollback", "override", "first"]
    served = _json(run("models", "served", "--at", first["at"], "--json", env=env))
    assert served["id"] == first["to_bundle"] and served["since"]["reason"] == "go"
    before = _json(run("models", "served", "--at", "2000-01-01", "--json", env=env))
    assert before["id"] is None

    shown = _json(run("models", "show", version, "--json", env=env))
    assert shown["version"] == version and shown["aliases"] == {"production": first["to_bundle"]}
    assert shown["model"]["manifest"]["format_version"] == 2
    bundle = _json(run("models", "show", "production", "--json", env=env))
    assert bundle["id"] == first["to_bundle"] and bundle["model_version"] == version
    made = _json(run("models", "bundle", "--model", "model-b", "--json", env=env))
    assert made["model_version"] == "model-b" and made["rule_set_version"] == bundle["rule_set_version"]

    text = run("models", "list", env=env)
    assert text.exit_code == 0 and version in text.output and "production" in text.output
    bad = run("models", "served", "--at", "yesterday", env=env)
    assert bad.exit_code == 1 and "ISO date" in bad.output
    missing = run("models", "show", "model-nope", env=env)
    assert missing.exit_code == 1 and "models list" in missing.output
    not_a_model = run("models", "register", str(tmp_path), env=env)
    assert not_a_model.exit_code == 1 and "not a model directory" in not_a_model.output


def test_ingest_and_score_use_the_production_bundle(tmp_path: Path, database_url: str, trained_model: Path) -> None:
    from sqlalchemy import select

    from listingguard.db import get_engine
    from listingguard.screening.models import Action
    from tests.cli.test_cli import write_jsonl
    from tests.conftest import listing

    env = {"LISTINGGUARD_HOME": str(tmp_path / "home"), "LISTINGGUARD_DATABASE_URL": database_url}
    data = write_jsonl(tmp_path / "in.jsonl", [listing(id="A1"), listing(id="A2", title="スーパーコピー 財布")])
    before = run("ingest", str(data), env=env)
    assert before.exit_code == 0 and "nothing promoted yet" in before.output
    version = _json(run("models", "register", str(trained_model), "--json", env=env))["version"]
    bundle = _json(run("models", "promote", version, "-a", "production", "-r", "go", "--json", env=env))["to_bundle"]
    data2 = write_jsonl(tmp_path / "in2.jsonl", [listing(id="B1"), listing(id="B2", price=1)])
    after = run("ingest", str(data2), env=env)
    assert after.exit_code == 0 and bundle in after.output
    with get_engine(database_url).connect() as conn:
        rows = dict(conn.execute(select(Action.listing_id, Action.bundle_id)).all())
    assert rows["B1"] == rows["B2"] == bundle and rows["A1"] != bundle

    out = tmp_path / "scored.jsonl"
    scored = run("score", "--input", str(data2), "--output", str(out), env=env)
    assert scored.exit_code == 0, scored.output
    assert {json.loads(line)["versions"]["model"] for line in out.read_text().splitlines()} == {version}
