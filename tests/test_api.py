"""The HTTP API on SQLite and PostgreSQL, driven through a real ASGI client."""

import asyncio
import json
from collections.abc import Iterator

import fastapi.routing
import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, text
from sqlalchemy.exc import OperationalError

from listingguard.app import create_app
from listingguard.config import Settings
from listingguard.db import get_engine
from listingguard.listings.models import ListingRevision
from listingguard.screening import service as screening_service
from listingguard.screening.models import Action
from tests.conftest import count, listing, make_token


@pytest.fixture
def client(settings: Settings, screener, database_url: str) -> Iterator[TestClient]:
    token = make_token(database_url, "marketplace", "service")
    with TestClient(create_app(settings, screener=screener), headers={"authorization": f"Bearer {token}"}) as c:
        yield c


class TestSubmit:
    def test_single_listing_gets_an_action_with_reasons(self, client: TestClient) -> None:
        r = client.post("/v1/listings", json=listing(title="スーパーコピー ｼｬﾈﾙ 財布", category="wallets", price=2000))
        assert r.status_code == 200
        body = r.json()
        assert body["action"] == "hide" and body["status"] == "created" and body["revision"] == 1
        assert "counterfeit.explicit_terms" in body["rules"]
        assert set(body["versions"]) == {"model", "rules", "policy", "bundle"} and body["versions"]["model"]
        assert max(body["scores"], key=body["scores"].get) == "counterfeit"
        assert any("counterfeit" in reason for reason in body["reasons"])

    def test_resend_is_idempotent_and_change_is_a_revision(self, client: TestClient, database_url: str) -> None:
        assert client.post("/v1/listings", json=listing()).json()["status"] == "created"
        again = client.post("/v1/listings", json=listing()).json()
        assert again["status"] == "unchanged" and again["action"] == "allow"
        assert client.post("/v1/listings", json=listing(price=7000)).json()["status"] == "revised"
        assert count(database_url, ListingRevision) == 2
        assert count(database_url, Action) == 2

    def test_batch(self, client: TestClient) -> None:
        r = client.post("/v1/listings", json=[listing(id=f"b{i}") for i in range(5)])
        assert r.status_code == 200
        assert [x["id"] for x in r.json()["results"]] == [f"b{i}" for i in range(5)]

    def test_get(self, client: TestClient) -> None:
        client.post("/v1/listings", json=listing())
        body = client.get("/v1/listings/L1").json()
        assert body["listing"]["revision"] == 1 and body["action"]["action"] == "allow"
        missing = client.get("/v1/listings/nope")
        assert missing.status_code == 404 and "nope" in missing.json()["error"]


def test_concurrent_requests_each_get_their_own_answer(settings: Settings, screener, database_url: str) -> None:
    """Thirty requests at once (group commit may write them together): each answer is that request's own."""
    token = make_token(database_url, "marketplace", "service")
    app = create_app(settings, screener=screener)

    async def scenario() -> list[httpx.Response]:
        async with app.router.lifespan_context(app):
            transport = httpx.ASGITransport(app=app)
            headers = {"authorization": f"Bearer {token}"}
            async with httpx.AsyncClient(transport=transport, base_url="http://test", headers=headers) as http:
                bodies = [listing(id=f"c{i}", price=1000 + i) for i in range(20)]
                bodies += [listing(id="same", price=5000 + i) for i in range(10)]  # one listing, ten versions
                return await asyncio.gather(*(http.post("/v1/listings", json=b) for b in bodies))

    answers = [r.json() for r in asyncio.run(scenario())]
    assert [a["id"] for a in answers[:20]] == [f"c{i}" for i in range(20)]
    assert all(a["status"] == "created" and a["revision"] == 1 for a in answers[:20])
    assert sorted(a["revision"] for a in answers[20:]) == list(range(1, 11))  # each version stored once
    with get_engine(database_url).connect() as conn:
        prices = dict(
            conn.execute(
                select(ListingRevision.revision, ListingRevision.price).where(ListingRevision.listing_id == "same")
            ).all()
        )
    assert {a["revision"]: 5000 + i for i, a in enumerate(answers[20:])} == prices  # answer matches what was stored
    assert count(database_url, Action) == 30


class TestBadInput:
    def post_raw(self, client: TestClient, body: bytes) -> tuple[int, dict]:
        r = client.post("/v1/listings", content=body, headers={"content-type": "application/json"})
        return r.status_code, r.json()

    @pytest.mark.parametrize(
        ("body", "status", "fragment"),
        [
            (b'{"id": "x",', 422, "malformed JSON"),
            (b"\xff\xfe{}", 422, "not valid UTF-8"),
            (b"", 422, "empty"),
            (b'"just a string"', 422, "expected a listing object or an array"),
            (b"[]", 422, "empty"),
            (b"[1]", 422, "expected a listing object"),
        ],
    )
    def test_unparseable_bodies(self, client: TestClient, body: bytes, status: int, fragment: str) -> None:
        code, payload = self.post_raw(client, body)
        assert code == status and fragment in payload["error"]
        assert "Traceback" not in json.dumps(payload)

    def test_field_errors_name_item_and_field_and_store_nothing(self, client: TestClient, database_url: str) -> None:
        r = client.post("/v1/listings", json=[listing(id="ok"), listing(id="bad", price=-3, title=7)])
        assert r.status_code == 422
        locs = [d["loc"] for d in r.json()["detail"]]
        assert ["body", 1, "price"] in locs and ["body", 1, "title"] in locs
        assert count(database_url, ListingRevision) == 0

    def test_huge_description_and_too_big_body(self, client: TestClient, settings: Settings) -> None:
        r = client.post("/v1/listings", json=listing(description="x" * 10_000_000))
        assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["body", "description"]
        code, payload = self.post_raw(client, b" " * (settings.max_body_bytes + 1))
        assert code == 413 and "limit" in payload["error"]

    def test_batch_limit(self, client: TestClient, settings: Settings) -> None:
        r = client.post("/v1/listings", json=[listing(id=f"x{i}") for i in range(settings.max_batch + 1)])
        assert r.status_code == 422 and "at most" in r.json()["error"]

    def test_unknown_topic_in_labels(self, client: TestClient) -> None:
        r = client.post("/v1/listings", json=listing(labels=["weapon"]))
        assert r.status_code == 422 and "did you mean 'weapons'" in r.json()["error"]

    def test_broken_unicode_escape(self, client: TestClient) -> None:
        code, payload = self.post_raw(client, json.dumps(listing(title="a\\ud800b")).replace("\\\\", "\\").encode())
        assert code == 422 and "broken Unicode" in payload["error"]


class TestDatabaseFailures:
    def test_database_lost_mid_request_is_a_503_and_nothing_is_half_written(
        self, client: TestClient, database_url: str, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """The listing rows are flushed, then the database fails while recording the action."""
        original = screening_service.record

        def failing_record(db_session, **kwargs):
            if database_url.startswith("postgresql"):  # really cut the connection under the session
                pid = db_session.execute(text("SELECT pg_backend_pid()")).scalar_one()
                with get_engine(database_url).connect() as other:
                    other.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
                return original(db_session, **kwargs)
            raise OperationalError("INSERT INTO actions", {}, Exception("disk I/O error"))

        monkeypatch.setattr("listingguard.intake.flows.screening_service.record", failing_record)
        r = client.post("/v1/listings", json=listing())
        assert r.status_code == 503
        assert "database is unavailable" in r.json()["error"] and "nothing" in r.json()["error"]
        assert count(database_url, ListingRevision) == 0
        monkeypatch.setattr("listingguard.intake.flows.screening_service.record", original)
        assert client.post("/v1/listings", json=listing()).json()["status"] == "created"


def test_health_versions_and_openapi(client: TestClient) -> None:
    assert client.get("/healthz").json() == {"status": "ok"}
    versions = client.get("/v1/versions").json()
    assert versions["rules"].startswith("rules-") and versions["policy"].startswith("policy-")
    assert versions["bundle"].startswith("bundle-")
    schema = client.get("/openapi.json").json()
    assert "ListingIn" in schema["components"]["schemas"]


def test_views_without_io_stay_on_the_event_loop(client: TestClient, monkeypatch: pytest.MonkeyPatch) -> None:
    """The latency baseline and the versions view never cross to a worker thread (0.1-0.2 ms each way)."""
    crossed: list[object] = []
    real = fastapi.routing.run_in_threadpool

    async def counting(func, *args, **kwargs):  # type: ignore[no-untyped-def]
        crossed.append(func)
        return await real(func, *args, **kwargs)

    monkeypatch.setattr(fastapi.routing, "run_in_threadpool", counting)
    client.get("/v1/versions")  # the token is looked up (in a thread of its own) and cached
    assert client.get("/v1/ping").json() == {"pong": "ok"}
    assert client.get("/v1/versions").status_code == 200
    assert crossed == []


class TestAuth:
    def test_no_token_is_401_with_a_hint(self, settings: Settings, screener) -> None:
        with TestClient(create_app(settings, screener=screener)) as anonymous:
            r = anonymous.post("/v1/listings", json=listing())
        assert r.status_code == 401 and "Authorization: Bearer" in r.json()["error"]

    def test_wrong_token(self, settings: Settings, screener) -> None:
        with TestClient(create_app(settings, screener=screener), headers={"authorization": "Bearer lg_abc_def"}) as c:
            assert c.post("/v1/listings", json=listing()).status_code == 401

    def test_moderator_cannot_submit_listings_or_manage_users(
        self, settings: Settings, screener, database_url: str
    ) -> None:
        token = make_token(database_url, "mod", "moderator")
        with TestClient(create_app(settings, screener=screener), headers={"authorization": f"Bearer {token}"}) as c:
            assert c.post("/v1/listings", json=listing()).status_code == 403
            r = c.post("/v1/users", json={"username": "x1", "role": "admin", "password": "long enough password"})
            assert r.status_code == 403 and "moderator may not" in r.json()["error"]
            assert c.get("/v1/review/stats").status_code == 403
