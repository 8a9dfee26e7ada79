"""Every write route hit by many identical or conflicting requests at once, on PostgreSQL.

Seeded (the order of the requests is shuffled with a fixed seed) and bounded (a dozen or so requests per
scenario). Asserted for each: no 5xx, exactly the rows one request would have written, and answers that
agree with what was stored.
"""

from __future__ import annotations

import asyncio
import random
from collections import Counter
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from listingguard.app import create_app
from listingguard.config import Settings
from listingguard.db import get_engine
from listingguard.listings.models import ListingRevision
from listingguard.review.models import Decision, ReviewTask
from listingguard.screening.models import Action
from listingguard.users.models import User
from tests.conftest import count, listing, make_token

SEED = 15
N = 12
FLAGGED = {"title": "スーパーコピー ｼｬﾈﾙ 財布", "category": "wallets", "price": 2000}


@pytest.fixture
def pg_settings(settings: Settings, database_url: str) -> Settings:
    if not database_url.startswith("postgresql"):
        pytest.skip("row locks and concurrent transactions are PostgreSQL's (SQLite runs one writer at a time)")
    return settings


@pytest.fixture
def tokens(pg_settings: Settings, database_url: str) -> dict[str, str]:
    return {
        "service": make_token(database_url, "marketplace", "service"),
        "admin": make_token(database_url, "ada", "admin"),
        "lead": make_token(database_url, "lena", "lead"),
        **{f"mod{i}": make_token(database_url, f"mod{i}", "moderator") for i in range(4)},
    }


def at_once(
    settings: Settings, screener, requests: list[tuple[str, str, dict[str, Any] | None, str]], tokens
) -> list[httpx.Response]:
    """Send ``(method, url, json, token)`` requests at once, in a seeded shuffled order; answers in input order."""
    app = create_app(settings, screener=screener)
    order = list(range(len(requests)))
    random.Random(SEED).shuffle(order)

    async def scenario() -> list[httpx.Response]:
        async with app.router.lifespan_context(app):
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://test", timeout=60) as http:

                async def send(i: int) -> tuple[int, httpx.Response]:
                    method, url, body, who = requests[i]
                    headers = {"authorization": f"Bearer {tokens[who]}"}
                    return i, await http.request(method, url, json=body, headers=headers)

                done = await asyncio.gather(*(send(i) for i in order))
        return [r for _, r in sorted(done, key=lambda pair: pair[0])]

    answers = asyncio.run(scenario())
    assert all(r.status_code < 500 for r in answers), [(r.status_code, r.text) for r in answers]
    return answers


def one(
    settings: Settings, screener, method: str, url: str, body: dict[str, Any] | None, who: str, tokens
) -> httpx.Response:
    return at_once(settings, screener, [(method, url, body, who)], tokens)[0]


def test_the_same_listing_sent_at_once_is_stored_once(pg_settings, screener, tokens, database_url: str) -> None:
    answers = at_once(pg_settings, screener, [("POST", "/v1/listings", listing(id="x"), "service")] * N, tokens)
    assert Counter(r.json()["status"] for r in answers) == {"created": 1, "unchanged": N - 1}
    assert count(database_url, ListingRevision) == 1 and count(database_url, Action) == 1
    assert len({r.json()["action"] for r in answers}) == 1


def test_claims_at_once_hand_each_task_to_one_moderator(pg_settings, screener, tokens) -> None:
    for i in range(3):
        assert (
            one(
                pg_settings, screener, "POST", "/v1/listings", listing(id=f"f{i}", **FLAGGED), "service", tokens
            ).json()["action"]
            == "hide"
        )
    answers = at_once(
        pg_settings, screener, [("POST", "/v1/review/claim", {}, f"mod{i % 4}") for i in range(N)], tokens
    )
    claimed = [r.json()["id"] for r in answers if r.status_code == 200]
    assert len(claimed) == len(set(claimed)) == 3
    assert Counter(r.status_code for r in answers) == {200: 3, 204: N - 3}


def test_decisions_and_releases_at_once(pg_settings, screener, tokens, database_url: str) -> None:
    one(pg_settings, screener, "POST", "/v1/listings", listing(id="f1", **FLAGGED), "service", tokens)
    task = one(pg_settings, screener, "POST", "/v1/review/claim", {}, "mod0", tokens).json()
    url = f"/v1/review/tasks/{task['id']}/decision"
    same = {"claim_token": task["claim_token"], "topics": ["counterfeit"]}
    other = {"claim_token": task["claim_token"], "topics": []}
    requests = [("POST", url, same, "mod0")] * (N // 2) + [("POST", url, other, "mod0")] * (N // 2)
    answers = at_once(pg_settings, screener, requests, tokens)
    assert count(database_url, Decision) == 1
    winners = {tuple(r.json()["topics"]) for r in answers if r.status_code == 200}
    assert len(winners) == 1 and all(r.status_code in (200, 409) for r in answers)
    assert len({r.json()["id"] for r in answers if r.status_code == 200}) == 1

    one(pg_settings, screener, "POST", "/v1/listings", listing(id="f2", **FLAGGED), "service", tokens)
    task = one(pg_settings, screener, "POST", "/v1/review/claim", {}, "mod1", tokens).json()
    url = f"/v1/review/tasks/{task['id']}/release"
    answers = at_once(pg_settings, screener, [("POST", url, {"claim_token": task["claim_token"]}, "mod1")] * N, tokens)
    assert all(r.status_code in (204, 409) for r in answers) and any(r.status_code == 204 for r in answers)
    with get_engine(database_url).connect() as conn:
        assert conn.execute(select(ReviewTask.status).where(ReviewTask.id == task["id"])).scalar_one() == "open"


def test_appeals_at_once_open_one_appeal(pg_settings, screener, tokens, database_url: str) -> None:
    one(pg_settings, screener, "POST", "/v1/listings", listing(id="a1"), "service", tokens)
    body = {"listing_id": "a1", "message": "please look again"}
    answers = at_once(pg_settings, screener, [("POST", "/v1/appeals", body, "service")] * N, tokens)
    assert Counter(r.status_code for r in answers) == {201: 1, 409: N - 1}
    with get_engine(database_url).connect() as conn:
        appeals = conn.execute(select(func.count()).where(ReviewTask.purpose == "appeal")).scalar_one()
    assert appeals == 1


def test_evaluation_tasks_at_once(pg_settings, screener, tokens, database_url: str) -> None:
    for i in range(2):
        one(pg_settings, screener, "POST", "/v1/listings", listing(id=f"e{i}"), "service", tokens)
    body = {"listing_ids": ["e0", "e1"], "source": "exp-1"}
    answers = at_once(pg_settings, screener, [("POST", "/v1/review/evaluation-tasks", body, "lead")] * N, tokens)
    ids = [i for r in answers for i in r.json()["task_ids"]]
    assert all(r.status_code == 201 for r in answers) and len(set(ids)) == 2 * N
    with get_engine(database_url).connect() as conn:
        assert conn.execute(select(func.count()).where(ReviewTask.kind == "evaluation")).scalar_one() == 2 * N


def test_users_and_tokens_at_once(pg_settings, screener, tokens, database_url: str) -> None:
    users_before = count(database_url, User)
    body = {"username": "newbie", "role": "moderator", "password": "a long enough password"}
    answers = at_once(pg_settings, screener, [("POST", "/v1/users", body, "admin")] * N, tokens)
    assert Counter(r.status_code for r in answers) == {201: 1, 409: N - 1}
    assert count(database_url, User) == users_before + 1
    answers = at_once(pg_settings, screener, [("POST", "/v1/users/newbie/tokens", {"name": "t"}, "admin")] * N, tokens)
    assert all(r.status_code == 201 for r in answers) and len({r.json()["token"] for r in answers}) == N
