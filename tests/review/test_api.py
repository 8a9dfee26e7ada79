"""The review API over HTTP on SQLite and PostgreSQL: claim, decide, release, blind tasks, appeals, audit,
roles, and what survives a browser closing, a server restart and a double submit."""

from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from listingguard.app import create_app
from listingguard.config import Settings
from listingguard.db import get_engine, session_scope
from listingguard.review.models import Decision, ReviewTask
from listingguard.screening.models import Action
from tests.conftest import listing, make_token

FLAGGED = {"title": "スーパーコピー ｼｬﾈﾙ 財布", "category": "wallets", "price": 2000}


@contextmanager
def server(settings: Settings, screener) -> Iterator[TestClient]:
    """One server instance; leaving the block stops it (its process memory is gone)."""
    with TestClient(create_app(settings, screener=screener)) as client:
        yield client


def auth(token: str) -> dict[str, str]:
    return {"authorization": f"Bearer {token}"}


@pytest.fixture
def tokens(database_url: str) -> dict[str, str]:
    return {
        "market": make_token(database_url, "marketplace", "service"),
        "alice": make_token(database_url, "alice", "moderator"),
        "bob": make_token(database_url, "bob", "moderator"),
        "lead": make_token(database_url, "lena", "lead"),
    }


def decisions(url: str) -> int:
    with session_scope(get_engine(url)) as session:
        return session.scalar(select(func.count()).select_from(Decision)) or 0


class TestClaimAndDecide:
    def test_empty_queue_is_204(self, settings: Settings, screener, tokens: dict[str, str]) -> None:
        with server(settings, screener) as api:
            assert api.post("/v1/review/claim", json={}, headers=auth(tokens["alice"])).status_code == 204

    def test_cycle_with_duplicate_submit_and_hidden_listing(
        self, settings: Settings, screener, tokens: dict[str, str], database_url: str
    ) -> None:
        with server(settings, screener) as api:
            posted = api.post("/v1/listings", json=listing(id="f1", **FLAGGED), headers=auth(tokens["market"]))
            assert posted.json()["action"] == "hide"
            task = api.post("/v1/review/claim", json={}, headers=auth(tokens["alice"])).json()
            assert task["listing_id"] == "f1" and task["kind"] == "enforcement" and task["claim_token"]
            assert max(task["signals"]["scores"], key=task["signals"]["scores"].get) == "counterfeit"
            assert "counterfeit.explicit_terms" in [h["rule_id"] for h in task["signals"]["rule_hits"]]
            body = {"claim_token": task["claim_token"], "topics": [], "note": "genuine, receipt shown"}
            first = api.post(f"/v1/review/tasks/{task['id']}/decision", json=body, headers=auth(tokens["alice"]))
            again = api.post(f"/v1/review/tasks/{task['id']}/decision", json=body, headers=auth(tokens["alice"]))
            assert first.status_code == again.status_code == 200
            assert first.json()["id"] == again.json()["id"] and first.json()["ok"] is True
            changed = api.post(
                f"/v1/review/tasks/{task['id']}/decision",
                json={**body, "topics": ["counterfeit"]},
                headers=auth(tokens["alice"]),
            )
            assert changed.status_code == 409 and "already decided" in changed.json()["error"]
            shown = api.get("/v1/listings/f1", headers=auth(tokens["market"])).json()
            assert shown["action"]["action"] == "allow"  # "ok" restored the hidden listing
        assert decisions(database_url) == 1

    def test_someone_elses_claim_and_unknown_topic(self, settings: Settings, screener, tokens: dict[str, str]) -> None:
        with server(settings, screener) as api:
            api.post("/v1/listings", json=listing(id="f1", **FLAGGED), headers=auth(tokens["market"]))
            task = api.post("/v1/review/claim", json={}, headers=auth(tokens["alice"])).json()
            url = f"/v1/review/tasks/{task['id']}/decision"
            stolen = api.post(url, json={"claim_token": task["claim_token"], "topics": []}, headers=auth(tokens["bob"]))
            assert stolen.status_code == 409 and "no longer hold" in stolen.json()["error"]
            unknown = api.post(
                url, json={"claim_token": task["claim_token"], "topics": ["guns"]}, headers=auth(tokens["alice"])
            )
            assert unknown.status_code == 422 and "guns" in unknown.json()["error"]
            missing = api.post(
                "/v1/review/tasks/999999/decision",
                json={"claim_token": "x", "topics": []},
                headers=auth(tokens["alice"]),
            )
            assert missing.status_code == 404

    def test_release_returns_the_task(self, settings: Settings, screener, tokens: dict[str, str]) -> None:
        with server(settings, screener) as api:
            api.post("/v1/listings", json=listing(id="f1", **FLAGGED), headers=auth(tokens["market"]))
            task = api.post("/v1/review/claim", json={}, headers=auth(tokens["alice"])).json()
            assert api.post("/v1/review/claim", json={}, headers=auth(tokens["bob"])).status_code == 204
            released = api.post(
                f"/v1/review/tasks/{task['id']}/release",
                json={"claim_token": task["claim_token"]},
                headers=auth(tokens["alice"]),
            )
            assert released.status_code == 204
            assert api.post("/v1/review/claim", json={}, headers=auth(tokens["bob"])).json()["id"] == task["id"]


class TestNothingLost:
    def test_server_restart_between_claim_and_decide(
        self, settings: Settings, screener, tokens: dict[str, str], database_url: str
    ) -> None:
        with server(settings, screener) as api:
            api.post("/v1/listings", json=listing(id="f1", **FLAGGED), headers=auth(tokens["market"]))
            task = api.post("/v1/review/claim", json={}, headers=auth(tokens["alice"])).json()
        with server(settings, screener) as restarted:  # a new process: only the database remembers the claim
            decided = restarted.post(
                f"/v1/review/tasks/{task['id']}/decision",
                json={"claim_token": task["claim_token"], "topics": ["counterfeit"]},
                headers=auth(tokens["alice"]),
            )
            assert decided.status_code == 200 and decided.json()["topics"] == ["counterfeit"]
        assert decisions(database_url) == 1

    def test_closed_browser_lease_runs_out_and_the_task_comes_back(
        self, settings: Settings, screener, tokens: dict[str, str], database_url: str
    ) -> None:
        with server(settings, screener) as api:
            api.post("/v1/listings", json=listing(id="f1", **FLAGGED), headers=auth(tokens["market"]))
            task = api.post("/v1/review/claim", json={}, headers=auth(tokens["alice"])).json()
        # Alice closed her browser; let the lease run out instead of waiting five minutes.
        with session_scope(get_engine(database_url)) as session:
            row = session.get(ReviewTask, task["id"])
            assert row is not None and row.lease_expires_at is not None
            row.lease_expires_at = row.lease_expires_at.replace(year=2000)
        with server(settings, screener) as api:
            again = api.post("/v1/review/claim", json={}, headers=auth(tokens["bob"])).json()
            assert again["id"] == task["id"] and again["claim_token"] != task["claim_token"]
            late = api.post(
                f"/v1/review/tasks/{task['id']}/decision",
                json={"claim_token": task["claim_token"], "topics": []},
                headers=auth(tokens["alice"]),
            )
            assert late.status_code == 409 and "lease expired" in late.json()["error"]
            api.post(
                f"/v1/review/tasks/{task['id']}/decision",
                json={"claim_token": again["claim_token"], "topics": ["counterfeit"]},
                headers=auth(tokens["bob"]),
            ).raise_for_status()
        assert decisions(database_url) == 1


class TestBlindTasksAppealsAudit:
    def test_evaluation_tasks_show_no_machine_signals(
        self, settings: Settings, screener, tokens: dict[str, str]
    ) -> None:
        with server(settings, screener) as api:
            api.post("/v1/listings", json=listing(id="e1"), headers=auth(tokens["market"]))
            forbidden = api.post(
                "/v1/review/evaluation-tasks",
                json={"listing_ids": ["e1"], "source": "backtest-1"},
                headers=auth(tokens["alice"]),
            )
            assert forbidden.status_code == 403
            created = api.post(
                "/v1/review/evaluation-tasks",
                json={"listing_ids": ["e1"], "source": "backtest-1"},
                headers=auth(tokens["lead"]),
            )
            assert created.status_code == 201
            task = api.post("/v1/review/claim", json={"kinds": ["evaluation"]}, headers=auth(tokens["alice"])).json()
            assert task["kind"] == "evaluation" and task["signals"] is None
            assert task["listing"]["title"]

    def test_appeal_goes_to_another_moderator_and_everything_is_audited(
        self, settings: Settings, screener, tokens: dict[str, str]
    ) -> None:
        with server(settings, screener) as api:
            api.post("/v1/listings", json=listing(id="f1", **FLAGGED), headers=auth(tokens["market"]))
            task = api.post("/v1/review/claim", json={}, headers=auth(tokens["alice"])).json()
            api.post(
                f"/v1/review/tasks/{task['id']}/decision",
                json={"claim_token": task["claim_token"], "topics": ["counterfeit"]},
                headers=auth(tokens["alice"]),
            ).raise_for_status()
            appeal = api.post(
                "/v1/appeals", json={"listing_id": "f1", "message": "it is genuine"}, headers=auth(tokens["market"])
            )
            assert appeal.status_code == 201
            assert api.post("/v1/review/claim", json={}, headers=auth(tokens["alice"])).status_code == 204
            mine = api.post("/v1/review/claim", json={}, headers=auth(tokens["bob"])).json()
            assert mine["id"] == appeal.json()["task_id"] and mine["purpose"] == "appeal"
            assert api.get("/v1/audit", headers=auth(tokens["alice"])).status_code == 403
            log = api.get("/v1/audit", headers=auth(tokens["lead"])).json()
            actions = [e["action"] for e in log]
            for expected in ("task.claim", "task.decide", "appeal.create"):
                assert expected in actions
            decide = next(e for e in log if e["action"] == "task.decide")
            assert decide["actor"] == "alice" and decide["before"] == {"status": "claimed"}
            assert decide["after"]["topics"] == ["counterfeit"]

    def test_stats_for_leads_only(self, settings: Settings, screener, tokens: dict[str, str]) -> None:
        with server(settings, screener) as api:
            assert api.get("/v1/review/stats", headers=auth(tokens["alice"])).status_code == 403
            stats = api.get("/v1/review/stats", headers=auth(tokens["lead"])).json()
            assert set(stats) >= {"backlog", "decisions_per_hour", "decisions_total", "agreement"}


def test_a_violation_confirmed_on_a_blind_task_is_still_enforced(
    settings: Settings, screener, tokens: dict[str, str], database_url: str
) -> None:
    """Blind tasks hide the machine's opinion from the moderator, not the moderator's verdict from sellers."""
    with server(settings, screener) as api:
        api.post("/v1/listings", json=listing(id="c1"), headers=auth(tokens["market"]))
        api.post(
            "/v1/review/evaluation-tasks", json={"listing_ids": ["c1"], "source": "t"}, headers=auth(tokens["lead"])
        ).raise_for_status()
        task = api.post("/v1/review/claim", json={}, headers=auth(tokens["alice"])).json()
        api.post(
            f"/v1/review/tasks/{task['id']}/decision",
            json={"claim_token": task["claim_token"], "topics": ["counterfeit"]},
            headers=auth(tokens["alice"]),
        ).raise_for_status()
    with session_scope(get_engine(database_url)) as session:
        actions = session.scalars(select(Action).where(Action.listing_id == "c1").order_by(Action.id)).all()
        assert [a.action for a in actions] == ["allow", "hide"]
        assert actions[-1].reasons["source"] == "moderator"
