"""A backtest end to end on both databases: replay, blind tasks with their pi, resume, report, the gate.

Production is a weak model (three days of data, 40% of its violating labels lost); the candidate is the
model trained on all ten days, with the same rules and policy. Simulated reviewers (answering from the
simulator's ground truth) decide production's flags before the backtest and its evaluation tasks after,
so the candidate's gain is real. The reverse comparison (the weak model as the candidate) must fail.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from listingguard.cli.review import simulate_reviewers
from listingguard.config import Settings
from listingguard.db import get_engine, session_factory, session_scope
from listingguard.errors import Forbidden, Invalid
from listingguard.evaluation.backtest import report as backtest_report
from listingguard.evaluation.backtest import service
from listingguard.evaluation.backtest.models import BacktestItem
from listingguard.intake.flows import ingest_and_screen
from listingguard.listings.schemas import ListingIn
from listingguard.registry import service as registry_service
from listingguard.registry.serving import BundleLoader, LiveDeployment, artifact_store
from listingguard.release import promote as release
from listingguard.review.models import ReviewTask

ADMIN = release.Actor("ada", "admin")


@pytest.fixture
def window(
    registry_settings: Settings, sim_records: list[dict[str, Any]], trained_model: Path, weak_model: Path
) -> dict[str, Any]:
    """Days 8-10 of the simulated market screened by the weak production model, its flags reviewed."""
    engine = get_engine(registry_settings.resolved_database_url)
    store, now = artifact_store(registry_settings), datetime.now(UTC)
    with session_scope(engine) as session:
        rules_version, policy_version = release.ensure_defaults(
            session, settings=registry_settings, store=store, actor="t", now=now
        )
        rules_only, _ = registry_service.get_or_create_bundle(
            session,
            model_version=None,
            rule_set_version=rules_version,
            policy_version=policy_version,
            actor="t",
            now=now,
        )
        weak, _ = registry_service.register_model(
            session, store=store, directory=weak_model, note=None, actor="t", now=now
        )
        weak_bundle, _ = registry_service.get_or_create_bundle(
            session,
            model_version=weak.version,
            rule_set_version=rules_version,
            policy_version=policy_version,
            actor="t",
            now=now,
        )
        release.promote(
            session,
            ref=weak_bundle.id,
            alias="production",
            reason="start",
            actor=ADMIN,
            settings=registry_settings,
            store=store,
            now=now,
        )
        session.expunge(weak_bundle)
        model, _ = registry_service.register_model(
            session, store=store, directory=trained_model, note=None, actor="t", now=now
        )
        candidate, _ = registry_service.get_or_create_bundle(
            session,
            model_version=model.version,
            rule_set_version=rules_version,
            policy_version=policy_version,
            actor="t",
            now=now,
        )
        session.expunge(candidate)
    days = sorted({r["created_at"][:10] for r in sim_records})
    recent = [r for r in sim_records if r["created_at"][:10] >= days[-3]][:1500]
    live = LiveDeployment.from_registry(registry_settings, session_factory(engine))
    with session_scope(engine) as session:
        ingest_and_screen(
            session, screener=live.current, listings=[ListingIn.model_validate(r) for r in recent], explain=False
        )
    decide_all(registry_settings)
    start = datetime.fromisoformat(days[-3]).replace(tzinfo=UTC)
    return {
        "candidate": candidate,
        "production": weak_bundle,
        "rules_only": rules_only.id,
        "start": start,
        "end": start + timedelta(days=5),
    }


def decide_all(settings: Settings) -> None:
    simulate_reviewers(
        reviewers=2, error_rate=0.0, limit=0, seed=1, database_url=settings.resolved_database_url, model=None
    )


def _request(window: dict[str, Any], **kw: Any) -> service.BacktestRequest:
    return service.BacktestRequest(
        candidate=window["candidate"],
        window_start=window["start"],
        window_end=window["end"],
        label_budget=kw.pop("label_budget", 60),
        exploration=kw.pop("exploration", 60),
        seed=3,
        **kw,
    )


def test_backtest_creates_blind_tasks_resumes_reports_and_gates(
    registry_settings: Settings, window: dict[str, Any], tmp_path: Path
) -> None:
    # A window of 1,500 listings holds a few dozen violations per topic: one violation is 3-5 recall
    # points, so the gate is configured as a team would for so small a window (the defaults, 2 points and
    # +10% review, are for production volumes).
    registry_settings = registry_settings.model_copy(update={"gate_margin": 0.06, "gate_load_budget": 0.3})
    gate = backtest_report.GateConfig(margin=0.06, load_budget=0.3)
    engine = get_engine(registry_settings.resolved_database_url)
    loader = BundleLoader(artifact_store(registry_settings))
    now = datetime.now(UTC)
    backtest_id, created = service.start(engine, request=_request(window), loader=loader, actor="lee", now=now)
    assert created
    with session_scope(engine) as session:
        tasks = list(session.scalars(select(ReviewTask).where(ReviewTask.source == f"backtest:{backtest_id}")))
        items = session.scalar(
            select(func.count()).select_from(BacktestItem).where(BacktestItem.backtest_id == backtest_id)
        )
    assert 0 < len(tasks) <= 120 and items == 1500
    assert all(t.kind == "evaluation" and t.topics == [] and 0 < t.inclusion_probability <= 1 for t in tasks)
    assert len({t.inclusion_probability for t in tasks}) > 1  # exploration strata have their own pi

    again, created_again = service.start(engine, request=_request(window), loader=loader, actor="lee", now=now)
    with session_scope(engine) as session:
        assert session.scalar(
            select(func.count()).select_from(ReviewTask).where(ReviewTask.source == f"backtest:{backtest_id}")
        ) == len(tasks)
    assert (again, created_again) == (backtest_id, False)

    with session_scope(engine) as session:
        interim = backtest_report.build(session, service.get(session, backtest_id=backtest_id))
    assert not interim["gate"]["passed"] and "not decided yet" in interim["gate"]["reasons"][0]
    with pytest.raises(Forbidden, match=f"backtest {backtest_id}"), session_scope(engine) as session:
        release.promote(
            session,
            ref=window["candidate"].id,
            alias="production",
            reason="try",
            actor=ADMIN,
            settings=registry_settings,
            store=artifact_store(registry_settings),
            now=now,
        )

    decide_all(registry_settings)
    with session_scope(engine) as session:
        data = backtest_report.build(session, service.get(session, backtest_id=backtest_id), gate=gate)
        strict = backtest_report.build(session, service.get(session, backtest_id=backtest_id))
    assert not strict["gate"]["passed"]  # at the default margin and budget the same evidence is not enough
    written = backtest_report.write(data, tmp_path / "report")
    stored = json.loads((tmp_path / "report" / "backtest.json").read_text())
    assert {p.name for p in written} >= {"backtest.json", "report.html", "delta_recall.png"}
    assert stored["labels"]["decided"] == stored["labels"]["new_tasks"] == len(tasks)
    for topic in stored["topics"]:
        delta = stored["per_topic"][topic]["delta_recall"]
        assert set(delta) == {"estimate", "low", "high"}
    assert stored["gate"]["passed"] is True, stored["gate"]["reasons"]
    assert any(stored["per_topic"][t]["delta_recall"]["low"] > 0 for t in stored["topics"])

    with session_scope(engine) as session:
        event = release.promote(
            session,
            ref=window["candidate"].id,
            alias="production",
            reason="passed",
            actor=ADMIN,
            settings=registry_settings,
            store=artifact_store(registry_settings),
            now=now,
        )
        assert event.action == "promote" and event.evidence["kind"] == "backtest"  # type: ignore[index]
        assert event.evidence["backtest"] == backtest_id  # type: ignore[index]


def test_bad_backtests_are_refused_with_what_to_do(registry_settings: Settings, window: dict[str, Any]) -> None:
    engine = get_engine(registry_settings.resolved_database_url)
    loader = BundleLoader(artifact_store(registry_settings))
    now = datetime.now(UTC)
    empty = service.BacktestRequest(
        candidate=window["candidate"],
        window_start=datetime(2000, 1, 1, tzinfo=UTC),
        window_end=datetime(2000, 1, 2, tzinfo=UTC),
    )
    with pytest.raises(Invalid, match="no screened listings"):
        service.start(engine, request=empty, loader=loader, actor="t", now=now)
    itself = service.BacktestRequest(
        candidate=window["production"], window_start=window["start"], window_end=window["end"]
    )
    with pytest.raises(Invalid, match="nothing to compare"):
        service.start(engine, request=itself, loader=loader, actor="t", now=now)
    backwards = service.BacktestRequest(
        candidate=window["candidate"], window_start=window["end"], window_end=window["start"]
    )
    with pytest.raises(Invalid, match="--to must be after"):
        service.start(engine, request=backwards, loader=loader, actor="t", now=now)


def _web_login(client: Any, username: str) -> None:
    import re

    page = client.get("/login")
    token = re.search(r'name="csrf-token" content="([^"]+)"', page.text).group(1)  # type: ignore[union-attr]
    r = client.post(
        "/login",
        data={"username": username, "password": "correct horse battery", "csrf_token": token},
        follow_redirects=False,
    )
    assert r.status_code == 303, r.text


def test_the_backtest_page_shows_the_verdict_and_the_tasks_behind_it(
    registry_settings: Settings, window: dict[str, Any], database_url: str
) -> None:
    from fastapi.testclient import TestClient

    from listingguard.app import create_app
    from tests.conftest import make_user

    engine = get_engine(registry_settings.resolved_database_url)
    backtest_id, _ = service.start(
        engine,
        request=_request(window),
        loader=BundleLoader(artifact_store(registry_settings)),
        actor="lee",
        now=datetime.now(UTC),
    )
    make_user(database_url, "lead1", "lead")
    make_user(database_url, "mod1", "moderator")
    with TestClient(create_app(registry_settings)) as client:
        _web_login(client, "mod1")
        assert client.get(f"/backtests/{backtest_id}").status_code == 403  # moderators label blind
    with TestClient(create_app(registry_settings)) as client:
        _web_login(client, "lead1")
        page = client.get(f"/backtests/{backtest_id}")
        assert page.status_code == 200 and "not passed" in page.text and "not decided yet" in page.text
        assert f"/backtests/{backtest_id}/tasks?stratum=disagree" in page.text
        plot = client.get(f"/backtests/{backtest_id}/delta_recall.png")
        assert plot.status_code == 200 and plot.headers["content-type"] == "image/png"
        tasks = client.get(f"/backtests/{backtest_id}/tasks?stratum=disagree")
        assert tasks.status_code == 200 and "disagree" in tasks.text
        assert client.get(f"/backtests/{backtest_id}/tasks?stratum=nope").status_code == 422
        # every number of the per-topic table links to the tasks it counts: one topic, one set
        with session_scope(engine) as session:
            row = service.get(session, backtest_id=backtest_id)
            topics = list(row.topics)
            items = session.scalars(
                select(BacktestItem).where(BacktestItem.backtest_id == backtest_id, BacktestItem.sampled)
            ).all()
            masks = [(i.matched_mask, i.production_mask) for i in items]
        for topic in topics:
            for name in ("candidate_only", "production_only", "candidate", "production"):
                assert f"/backtests/{backtest_id}/tasks?topic={topic}&amp;set={name}" in page.text
        seen = 0
        for j, topic in enumerate(topics):
            bit = 1 << j
            expected = {
                "candidate_only": sum(1 for m, p in masks if m & bit and not p & bit),
                "production_only": sum(1 for m, p in masks if p & bit and not m & bit),
                "candidate": sum(1 for m, _ in masks if m & bit),
            }
            for name, count in expected.items():
                listed = client.get(f"/backtests/{backtest_id}/tasks?topic={topic}&set={name}")
                assert listed.status_code == 200 and f"flagged by {name.replace('_', ' ')}" in listed.text
                assert listed.text.count("<tr><td>") == count, (topic, name)
                seen += count
        assert seen > 0  # the window has disagreements, so some cell has tasks behind it
        assert client.get(f"/backtests/{backtest_id}/tasks?topic=nope&set=both").status_code == 422
        assert client.get(f"/backtests/{backtest_id}/tasks?topic={topics[0]}").status_code == 422
        assert client.get(f"/backtests/{backtest_id}/tasks?topic={topics[0]}&set=all").status_code == 422
        assert client.get("/backtests/99999").status_code == 404
        assert f'href="/backtests/{backtest_id}"' in client.get("/backtests").text


def test_backtest_commands_with_json(
    registry_settings: Settings, window: dict[str, Any], database_url: str, tmp_path: Path
) -> None:
    from tests.cli.test_cli import run

    env = {"LISTINGGUARD_HOME": str(registry_settings.home), "LISTINGGUARD_DATABASE_URL": database_url}
    args = [
        "--candidate",
        window["candidate"].id,
        "--from",
        window["start"].isoformat(),
        "--to",
        window["end"].isoformat(),
    ]
    started = run("backtest", "start", *args, "--label-budget", "30", "--exploration", "30", "--json", env=env)
    assert started.exit_code == 0, started.output
    first = json.loads(started.stdout)
    assert first["created"] is True and first["tasks"] > 0 and first["listings"] == 1500
    again = json.loads(run("backtest", "start", *args, "--json", env=env).stdout)
    assert (again["id"], again["created"], again["tasks"]) == (first["id"], False, first["tasks"])
    status = json.loads(run("backtest", "status", str(first["id"]), "--json", env=env).output)
    assert status["decided"] == 0 and status["id"] == first["id"]
    listed = json.loads(run("backtest", "list", "--json", env=env).output)
    assert [b["id"] for b in listed["items"]] == [first["id"]]
    out = tmp_path / "r"
    reported = run("backtest", "report", str(first["id"]), "--out", str(out), "--json", env=env)
    assert reported.exit_code == 0, reported.output
    body = json.loads(reported.stdout)
    assert body["gate"]["passed"] is False and (out / "report.html").is_file()
    text = run("backtest", "report", str(first["id"]), env=env)
    assert text.exit_code == 0 and "not passed" in text.output
    missing = run("backtest", "status", "999", env=env)
    assert missing.exit_code == 1 and "backtest list" in missing.output
    bad = run("backtest", "start", "--candidate", "model-nope", "--from", "2026-01-01", "--to", "2026-01-02", env=env)
    assert bad.exit_code == 1 and "models list" in bad.output


def test_an_interrupted_replay_resumes_without_duplicates(
    registry_settings: Settings, window: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    engine = get_engine(registry_settings.resolved_database_url)
    loader = BundleLoader(artifact_store(registry_settings))
    monkeypatch.setattr(service, "CHUNK", 400)
    calls = []

    def stop_after_two_chunks(done: int, total: int) -> None:
        calls.append(done)
        if done >= 800:
            raise KeyboardInterrupt  # the operator pressed Ctrl-C, or the machine went away

    with pytest.raises(KeyboardInterrupt):
        service.start(
            engine,
            request=_request(window),
            loader=loader,
            actor="t",
            now=datetime.now(UTC),
            progress=stop_after_two_chunks,
        )
    with session_scope(engine) as session:
        stored = session.scalar(select(func.count()).select_from(BacktestItem))
        assert (
            stored == 800
            and session.scalar(select(func.count()).select_from(ReviewTask).where(ReviewTask.kind == "evaluation")) == 0
        )  # no task before the replay is complete
    seen: list[tuple[int, int]] = []
    backtest_id, created = service.start(
        engine,
        request=_request(window),
        loader=loader,
        actor="t",
        now=datetime.now(UTC),
        progress=lambda d, t: seen.append((d, t)),
    )
    assert not created and seen[0] == (800, 1500)  # resumed where it stopped
    with session_scope(engine) as session:
        assert session.scalar(select(func.count()).select_from(BacktestItem)) == 1500
        tasks = session.scalar(
            select(func.count()).select_from(ReviewTask).where(ReviewTask.source == f"backtest:{backtest_id}")
        )
    assert tasks and tasks > 0
