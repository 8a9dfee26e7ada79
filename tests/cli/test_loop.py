"""The feedback loop from the command line on SQLite and PostgreSQL: accounts and tokens, simulated
reviewers answering the queue, and a model trained from their decisions."""

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import func, select

from listingguard.db import get_engine, session_scope
from listingguard.review.models import Decision, ReviewTask
from listingguard.users import service as users_service
from tests.cli.test_cli import run, write_jsonl


def test_users_add_token_list_and_revoke(database_url: str) -> None:
    env = {"LISTINGGUARD_DATABASE_URL": database_url}
    added = run("users", "add", "lena", "--role", "lead", "--password-stdin", env=env, input="a long passphrase 1\n")
    assert added.exit_code == 0, added.output
    short = run("users", "add", "tom", "--password-stdin", env=env, input="short\n")
    assert short.exit_code != 0 and "password" in short.output.lower()
    bad_role = run("users", "add", "eve", "--role", "owner", env=env)
    assert bad_role.exit_code != 0 and "moderator" in bad_role.output
    service = run("users", "add", "market", "--role", "service", env=env)
    assert service.exit_code == 0 and "lg_" in service.output  # a service account gets a token, once
    token = run("users", "token", "lena", "--name", "scripts", env=env)
    assert token.exit_code == 0
    secret = next(word for word in token.output.split() if word.startswith("lg_"))
    with session_scope(get_engine(database_url)) as session:
        assert users_service.user_for_token(session, token=secret, now=datetime.now(UTC)).username == "lena"
    listed = run("users", "list", env=env)
    assert "lena" in listed.output and "lead" in listed.output and "market" in listed.output
    prefix = secret.split("_")[1]
    assert run("users", "revoke-token", prefix, env=env).exit_code == 0
    with session_scope(get_engine(database_url)) as session, pytest.raises(Exception, match="revoked"):
        users_service.user_for_token(session, token=secret, now=datetime.now(UTC))


@pytest.mark.slow
def test_simulated_reviewers_then_train_from_decisions(
    database_url: str, tmp_path: Path, trained_model: Path, sim_records: list[dict]
) -> None:
    env = {"LISTINGGUARD_DATABASE_URL": database_url}
    data = write_jsonl(tmp_path / "listings.jsonl", sim_records[:2500])
    ingested = run("ingest", str(data), "--model", str(trained_model), "--no-explain", env=env)
    assert ingested.exit_code == 0, ingested.output
    with session_scope(get_engine(database_url)) as session:
        tasks = session.scalar(select(func.count()).select_from(ReviewTask)) or 0
    assert tasks > 50
    reviewed = run(
        "simulate-reviewers", "--reviewers", "3", "--error-rate", "0.02", "--model", str(trained_model), env=env
    )
    assert reviewed.exit_code == 0, reviewed.output
    assert "SIMULATED" in reviewed.output
    with session_scope(get_engine(database_url)) as session:
        decided = session.scalar(select(func.count()).select_from(Decision)) or 0
        open_tasks = session.scalar(select(func.count()).select_from(ReviewTask).where(ReviewTask.status == "open"))
        weights = session.scalars(select(Decision.inclusion_probability).where(Decision.kind == "exploration")).all()
    assert decided >= tasks and open_tasks == 0  # every task answered (second reviews add a few)
    assert weights and all(0 < p < 1 for p in weights)  # exploration labels exist and carry their pi

    today = datetime.now(UTC).date().isoformat()
    out = tmp_path / "from-db"
    trained = run(
        "train", "--from-db", "--since", today, "--out", str(out), "--min-positives", "3", "--no-refit", env=env
    )
    assert trained.exit_code == 0, trained.output
    manifest = json.loads((out / "manifest.json").read_text())
    feedback = manifest["feedback"]
    assert feedback["decision_window"]["since"].startswith(today)
    assert "1/pi" in feedback["weighting"]
    source = manifest["training_data"]["sources"][0]
    with session_scope(get_engine(database_url)) as session:
        primary = session.scalar(
            select(func.count(func.distinct(Decision.revision_id))).where(Decision.purpose != "second_review")
        )
    assert source["kind"] == "database" and source["rows"] == primary  # one label per revision
    assert manifest["training_data"]["weighted"] is True and manifest["label_window"]

    nothing = run("train", "--from-db", "--since", "2099-01-01", "--out", str(tmp_path / "none"), env=env)
    assert nothing.exit_code != 0 and "no decisions" in nothing.output
    assert not (tmp_path / "none" / "manifest.json").exists()
