"""Hostile input over HTTP on SQLite and PostgreSQL: NUL bytes and lone surrogates, numbers out of range,
deep nesting, bodies that are not UTF-8 — each a 422 in the project's error shape that names the field,
never a 500, and nothing stored. Also: authentication comes before the body, and unknown routes and
methods answer in the same shape."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from listingguard.app import create_app
from listingguard.audit.models import AuditEntry
from listingguard.config import Settings
from listingguard.inputs import MAX_JSON_DEPTH
from listingguard.listings.models import ListingRevision
from listingguard.review.models import ReviewTask
from tests.conftest import count, listing, make_token

FLAGGED = {"title": "スーパーコピー ｼｬﾈﾙ 財布", "category": "wallets", "price": 2000}
NUL = "a\x00b"
SURROGATE = "a\\ud800b"  # written into raw JSON: a valid escape that decodes to an unpaired surrogate


@pytest.fixture
def api(settings: Settings, screener, database_url: str) -> Iterator[tuple[TestClient, dict[str, str]]]:
    tokens = {
        "service": make_token(database_url, "marketplace", "service"),
        "mod": make_token(database_url, "alice", "moderator"),
        "lead": make_token(database_url, "lena", "lead"),
        "admin": make_token(database_url, "ada", "admin"),
    }
    headers = {role: {"authorization": f"Bearer {token}"} for role, token in tokens.items()}
    with TestClient(create_app(settings, screener=screener), raise_server_exceptions=False) as client:
        yield client, headers  # type: ignore[misc]


def assert_422(response: Any, field: str) -> dict[str, Any]:
    assert response.status_code == 422, response.text
    body = response.json()
    assert set(body) == {"error", "detail"} and body["detail"], body
    assert field in body["error"], body
    return body


def raw_post(client: TestClient, url: str, text: str, headers: dict[str, str]) -> Any:
    return client.post(url, content=text.encode("utf-8"), headers={**headers, "content-type": "application/json"})


class TestTextInputs:
    """One rule for every text field: NUL and lone surrogates are 422s naming the field (PostgreSQL gave 500s)."""

    @pytest.mark.parametrize("bad", [NUL, "\ud800"])
    def test_json_bodies(self, api, bad: str, database_url: str) -> None:
        client, h = api
        client.post("/v1/listings", json=listing(id="f1", **FLAGGED), headers=h["service"])
        cases = [
            ("/v1/users/ada/tokens", {"name": bad}, "admin", "name"),
            (
                "/v1/users",
                {"username": bad, "role": "moderator", "password": "long enough password"},
                "admin",
                "username",
            ),
            ("/v1/appeals", {"listing_id": bad, "message": "please"}, "service", "listing_id"),
            ("/v1/appeals", {"listing_id": "f1", "message": bad}, "service", "message"),
            ("/v1/review/evaluation-tasks", {"listing_ids": [bad], "source": "exp"}, "lead", "listing_ids"),
            ("/v1/review/evaluation-tasks", {"listing_ids": ["f1"], "source": bad}, "lead", "source"),
            ("/v1/review/tasks/1/decision", {"claim_token": bad, "topics": []}, "mod", "claim_token"),
            ("/v1/review/tasks/1/decision", {"claim_token": "x", "topics": [], "note": bad}, "mod", "note"),
        ]
        tasks_before = count(database_url, ReviewTask)
        for url, body, role, field in cases:
            text = json.dumps(body).replace("\\ud800", SURROGATE)  # json.dumps already escapes it
            assert_422(raw_post(client, url, text, h[role]), field)
        assert count(database_url, ReviewTask) == tasks_before

    def test_path_and_query_parameters(self, api) -> None:
        client, h = api
        assert_422(client.get("/v1/listings/abc%00def", headers=h["service"]), "listing_id")
        assert_422(client.post("/v1/users/a%00b/tokens", json={"name": "t"}, headers=h["admin"]), "username")
        assert_422(client.get("/v1/audit", params={"entity": NUL}, headers=h["lead"]), "entity")
        assert_422(client.get("/v1/audit", params={"entity_id": NUL}, headers=h["lead"]), "entity_id")
        assert_422(client.get("/v1/review/queue", params={"topic": NUL}, headers=h["mod"]), "topic")
        assert_422(client.get("/v1/review/queue", params={"kind": NUL}, headers=h["mod"]), "kind")

    def test_listing_meta_keys_and_values(self, api, database_url: str) -> None:
        client, h = api
        for meta in ({"k": NUL}, {NUL: 1}, {"deep": [{"x": NUL}]}):
            assert_422(client.post("/v1/listings", json=listing(meta=meta), headers=h["service"]), "meta")
        assert count(database_url, ListingRevision) == 0

    def test_check_text_helper_for_form_fields(self) -> None:
        from listingguard.errors import Invalid
        from listingguard.inputs import check_text

        assert check_text("note", "fine") == "fine" and check_text("note", None) is None
        with pytest.raises(Invalid) as caught:
            check_text("username", NUL)
        assert caught.value.status_code == 422 and caught.value.message.startswith("username: ")
        assert caught.value.detail == [{"loc": ["form", "username"], "msg": caught.value.detail[0]["msg"]}]


class TestNumbers:
    """Every numeric parameter is bounded: 422, not a date overflow or an integer overflow (500)."""

    def test_age_filters_and_task_ids(self, api) -> None:
        client, h = api
        assert_422(client.get("/v1/review/queue?older_than_minutes=100000000000", headers=h["mod"]), "older_than")
        assert_422(client.get("/v1/review/queue?newer_than_minutes=-5", headers=h["mod"]), "newer_than")
        assert_422(client.get("/v1/review/queue?older_than_minutes=-1", headers=h["mod"]), "older_than")
        body = {"claim_token": "x", "topics": []}
        for task_id in (2**31, 10**20, 0, -1):
            url = f"/v1/review/tasks/{task_id}/decision"
            assert_422(client.post(url, json=body, headers=h["mod"]), "task_id")
            assert_422(client.post(f"/v1/review/tasks/{task_id}/release", json=body, headers=h["mod"]), "task_id")
        assert client.post(f"/v1/review/tasks/{2**31 - 1}/decision", json=body, headers=h["mod"]).status_code == 404
        assert_422(client.post("/v1/review/claim", json={"older_than_minutes": 10**20}, headers=h["mod"]), "body")

    def test_nan_and_overflowing_numbers_in_meta(self, api, database_url: str) -> None:
        client, h = api
        for number in ("NaN", "Infinity", "-Infinity", "1e400", "-1e999", "1" * 5000):
            text = json.dumps(listing()).replace('"price": 8000', f'"price": 8000, "meta": {{"n": {number}}}')
            assert_422(raw_post(client, "/v1/listings", text, h["service"]), "body")
        assert count(database_url, ListingRevision) == 0


class TestNesting:
    """Nesting beyond MAX_JSON_DEPTH is a 422 (a RecursionError and a 500 before)."""

    @pytest.mark.parametrize("depth", [MAX_JSON_DEPTH + 1, 1_000, 100_000])
    def test_deep_arrays_and_meta(self, api, depth: int, database_url: str) -> None:
        client, h = api
        assert_422(raw_post(client, "/v1/listings", "[" * depth + "]" * depth, h["service"]), "nested deeper")
        meta = '{"a":' * depth + "1" + "}" * depth
        text = json.dumps(listing()).replace('"price": 8000', f'"price": 8000, "meta": {meta}')
        assert_422(raw_post(client, "/v1/listings", text, h["service"]), "nested deeper")
        assert_422(raw_post(client, "/v1/review/claim", "[" * depth + "]" * depth, h["mod"]), "nested deeper")
        assert count(database_url, ListingRevision) == 0

    def test_meta_within_the_limit_is_stored(self, api, database_url: str) -> None:
        client, h = api
        meta: dict[str, Any] = {"leaf": 1}
        for _ in range(MAX_JSON_DEPTH - 3):  # body object, meta object, and the nesting inside
            meta = {"a": meta}
        assert client.post("/v1/listings", json=listing(meta=meta), headers=h["service"]).status_code == 200
        assert count(database_url, ListingRevision) == 1


class TestErrorShape:
    def test_not_utf8_on_fastapi_parsed_routes(self, api) -> None:
        client, h = api
        headers = {**h["mod"], "content-type": "application/json"}
        r = client.post("/v1/review/claim", content=b'{"topic": "\xff\xfe"}', headers=headers)
        assert_422(r, "UTF-8")
        r = client.post("/v1/review/claim", content=b'{"topic": ', headers=headers)
        assert_422(r, "malformed JSON")

    def test_fastapi_validation_errors_name_the_field(self, api) -> None:
        client, h = api
        body = assert_422(client.get("/v1/audit?limit=0", headers=h["lead"]), "query.limit")
        assert body["detail"][0]["loc"] == ["query", "limit"]

    def test_unknown_route_and_method(self, api) -> None:
        client, h = api
        r = client.get("/v1/nothing-here", headers=h["service"])
        assert r.status_code == 404 and set(r.json()) == {"error", "detail"} and "/docs" in r.json()["error"]
        r = client.delete("/v1/listings/L1", headers=h["service"])
        assert r.status_code == 405 and set(r.json()) == {"error", "detail"} and "DELETE" in r.json()["error"]

    def test_openapi_declares_the_error_model_everywhere(self, api) -> None:
        client, _ = api
        schema = client.get("/openapi.json").json()
        assert "HTTPValidationError" not in schema["components"]["schemas"]
        assert set(schema["components"]["schemas"]["Error"]["required"]) == {"error"}
        for path, operations in schema["paths"].items():
            for method, operation in operations.items():
                errors = {s: r for s, r in operation["responses"].items() if s[0] in "45"}
                assert {"422", "500", "503"} <= set(errors), (method, path)
                for status, response in errors.items():
                    ref = response["content"]["application/json"]["schema"]["$ref"]
                    assert ref == "#/components/schemas/Error", (method, path, status)
                if path not in ("/healthz", "/openapi.json"):
                    assert {"401", "403"} <= set(errors), (method, path)


class TestAuthFirst:
    """Without a token, a malformed body gets 401, not 422; /v1/ping needs a token like every /v1 route."""

    def test_401_before_422(self, settings: Settings, screener) -> None:
        urls = ["/v1/users", "/v1/review/claim", "/v1/appeals", "/v1/listings", "/v1/users/ada/tokens"]
        bodies = [b"{not json", b'{"unexpected": 1}', b"\xff", b"[" * 5000]
        with TestClient(create_app(settings, screener=screener)) as anonymous:
            for url in urls:
                for body in bodies:
                    r = anonymous.post(url, content=body, headers={"content-type": "application/json"})
                    assert r.status_code == 401 and "Authorization: Bearer" in r.json()["error"], (url, body)

    def test_a_role_without_permission_gets_403_before_422(self, api) -> None:
        client, h = api
        r = client.post("/v1/users", content=b"{not json", headers={**h["mod"], "content-type": "application/json"})
        assert r.status_code == 403

    def test_ping_needs_a_token(self, api, settings: Settings, screener) -> None:
        client, h = api
        assert client.get("/v1/ping", headers=h["mod"]).json() == {"pong": "ok"}
        with TestClient(create_app(settings, screener=screener)) as anonymous:
            assert anonymous.get("/v1/ping").status_code == 401


def test_audit_filters_find_nothing_rather_than_failing(api, database_url: str) -> None:
    client, h = api
    r = client.get("/v1/audit", params={"entity": "user", "entity_id": "ünïcode"}, headers=h["lead"])
    assert r.status_code == 200 and r.json() == []
    assert count(database_url, AuditEntry) > 0


class TestDocs:
    """/docs and /redoc work without internet, and /openapi.json declares what the API sends."""

    def test_docs_pages_load_their_assets_from_the_server(self, api) -> None:
        client, _ = api
        for page in ("/docs", "/redoc"):
            html = client.get(page).text
            assert "cdn." not in html and "unpkg" not in html and "googleapis" not in html, page
            for asset in re.findall(r'(?:src|href)="(/[^"]+\.(?:js|css))"', html):
                assert client.get(asset).status_code == 200, asset

    def test_bearer_scheme_and_typed_responses(self, api) -> None:
        client, _ = api
        schema = client.get("/openapi.json").json()
        assert schema["components"]["securitySchemes"]["APIToken"] == {
            "type": "http",
            "scheme": "bearer",
            "description": schema["components"]["securitySchemes"]["APIToken"]["description"],
        }
        for path, operations in schema["paths"].items():
            for method, operation in operations.items():
                if path.startswith("/v1"):
                    assert operation.get("security") == [{"APIToken": []}], (method, path)
                ok = next(r for s, r in operation["responses"].items() if s.startswith("2"))
                content = ok.get("content", {}).get("application/json", {}).get("schema", {})
                if path == "/v1/review/tasks/{task_id}/release":
                    continue  # 204, no body
                assert content.get("$ref") or content.get("items", {}).get("$ref") or content.get("anyOf"), (
                    method,
                    path,
                    content,
                )
        post = schema["paths"]["/v1/listings"]["post"]
        refs = {a["$ref"] for a in post["responses"]["200"]["content"]["application/json"]["schema"]["anyOf"]}
        assert refs == {"#/components/schemas/ListingResult", "#/components/schemas/ListingResults"}
        assert "ListingIn" in json.dumps(post["requestBody"])


class TestServiceRulesForTheUI:
    """The UI's form and URL values reach the services unchecked; the services apply the same rules."""

    def test_age_filters_task_ids_notes_and_login_names(self, database_url: str) -> None:
        from datetime import UTC, datetime

        from listingguard.db import get_engine, session_scope
        from listingguard.errors import Invalid, Unauthorized
        from listingguard.policy.schemas import SamplingPolicy
        from listingguard.review import service as review_service
        from listingguard.users import service as users_service
        from tests.conftest import make_user

        with pytest.raises(Invalid, match="older_than"):
            review_service.QueueFilter(older_than_minutes=100_000_000_000).validate([])
        with pytest.raises(Invalid, match="newer_than"):
            review_service.QueueFilter(newer_than_minutes=-1).validate([])
        reviewer = make_user(database_url, "mod", "moderator")
        with session_scope(get_engine(database_url)) as session:
            assert review_service.get(session, task_id=99_999_999_999) is None
            for token, note in (("x", NUL), (NUL, None)):
                with pytest.raises(Invalid):
                    review_service.decide(
                        session,
                        task_id=1,
                        reviewer=reviewer,
                        claim_token=token,
                        topics=[],
                        note=note,
                        known_topics=[],
                        sampling_policy=SamplingPolicy(),
                        now=datetime.now(UTC),
                    )
            with pytest.raises(Invalid, match="username"):
                users_service.authenticate(session, username=NUL, password="x")
            with pytest.raises(Unauthorized):
                users_service.authenticate(session, username="nobody", password="x")
