"""Servers follow the aliases without a restart; the registry over HTTP, role-checked."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from listingguard.app import create_app
from listingguard.config import Settings
from listingguard.db import get_engine, session_scope
from listingguard.registry import service
from listingguard.registry.serving import artifact_store, default_screener
from listingguard.screening.deployment import screener_bundle_id
from listingguard.screening.models import Action
from listingguard.state import app_state
from tests.conftest import listing, make_token
from tests.registry.conftest import variant

SWITCH_DEADLINE = 60.0  # a guard against hanging, not a measurement: the poll interval is 0.1 s


def _register(settings: Settings, directory: Path) -> str:
    with session_scope(get_engine(settings.resolved_database_url)) as session:
        row, _ = service.register_model(
            session, store=artifact_store(settings), directory=directory, note=None, actor="t", now=datetime.now(UTC)
        )
        return row.version


@pytest.fixture
def tokens(registry_settings: Settings, database_url: str) -> dict[str, str]:
    return {role: make_token(database_url, f"{role}1", role) for role in ("service", "moderator", "lead", "admin")}


@pytest.fixture
def app_client(registry_settings: Settings, tokens: dict[str, str]) -> Iterator[TestClient]:
    with TestClient(create_app(registry_settings)) as client:
        yield client


def _auth(tokens: dict[str, str], role: str) -> dict[str, str]:
    return {"authorization": f"Bearer {tokens[role]}"}


def _post(client: TestClient, tokens: dict[str, str], i: int) -> dict[str, Any]:
    r = client.post(
        "/v1/listings", json=listing(id=f"L{i}", title=f"item {i} ナイキ"), headers=_auth(tokens, "service")
    )
    assert r.status_code == 200, r.text
    return r.json()


def _wait_for(client: TestClient, tokens: dict[str, str], bundle: str, start: int) -> int:
    deadline = time.monotonic() + SWITCH_DEADLINE
    i = start
    while time.monotonic() < deadline:
        i += 1
        if _post(client, tokens, i)["versions"]["bundle"] == bundle:
            return i
        time.sleep(0.05)
    raise AssertionError(f"the server never switched to {bundle}")


def test_the_server_switches_bundles_without_a_restart_and_without_failed_requests(
    app_client: TestClient, registry_settings: Settings, tokens: dict[str, str], trained_model: Path, tmp_path: Path
) -> None:
    rules_only = screener_bundle_id(default_screener(registry_settings))
    assert _post(app_client, tokens, 0)["versions"]["bundle"] == rules_only  # nothing promoted yet: the defaults
    first = _register(registry_settings, trained_model)
    second = _register(registry_settings, variant(trained_model, tmp_path / "b", "model-second"))

    seen: list[tuple[int, str]] = []
    failures: list[str] = []
    stop = threading.Event()

    def traffic(offset: int) -> None:  # requests keep coming while the aliases move
        i = offset
        while not stop.is_set():
            i += 1
            r = app_client.post(
                "/v1/listings", json=listing(id=f"T{i}", title=f"bg {i}"), headers=_auth(tokens, "service")
            )
            if r.status_code != 200:
                failures.append(r.text)
            else:
                seen.append((i, r.json()["versions"]["bundle"]))

    threads = [threading.Thread(target=traffic, args=(k * 1_000_000,)) for k in range(2)]
    for t in threads:
        t.start()
    try:
        r = app_client.post(
            "/v1/aliases/production", json={"ref": first, "reason": "first"}, headers=_auth(tokens, "admin")
        )
        assert r.status_code == 200, r.text
        a = r.json()["to_bundle"]
        i = _wait_for(app_client, tokens, a, 10)
        r = app_client.post(
            "/v1/aliases/production",
            json={"ref": second, "reason": "better", "override_reason": "tests"},
            headers=_auth(tokens, "admin"),
        )
        assert r.status_code == 200, r.text
        b = r.json()["to_bundle"]
        i = _wait_for(app_client, tokens, b, i)
        r = app_client.post("/v1/aliases/production/rollback", json={"reason": "worse"}, headers=_auth(tokens, "lead"))
        assert r.status_code == 200 and r.json()["to_bundle"] == a, r.text
        _wait_for(app_client, tokens, a, i)
    finally:
        stop.set()
        for t in threads:
            t.join()
    assert not failures
    assert {bundle for _, bundle in seen} <= {rules_only, a, b}
    engine = get_engine(registry_settings.resolved_database_url)
    with session_scope(engine) as session:
        rows = session.execute(select(Action.listing_id, Action.bundle_id, Action.model_version)).all()
    by_bundle = {bundle: model for _, bundle, model in rows}
    assert by_bundle[a] == first and by_bundle[b] == second and by_bundle[rules_only] is None
    assert all(bundle is not None for _, bundle, _ in rows)  # every action names the bundle that produced it


def test_a_bundle_that_cannot_be_loaded_leaves_the_old_one_serving(
    app_client: TestClient, registry_settings: Settings, tokens: dict[str, str], trained_model: Path
) -> None:
    first = _register(registry_settings, trained_model)
    r = app_client.post("/v1/aliases/candidate", json={"ref": first, "reason": "c"}, headers=_auth(tokens, "lead"))
    assert r.status_code == 200
    bundle = r.json()["to_bundle"]
    with session_scope(get_engine(registry_settings.resolved_database_url)) as session:
        uri = service.get_model_or_raise(session, version=first).uri
    (Path(uri.removeprefix("file://")) / "arrays.npz").write_bytes(b"damaged")
    r = app_client.post(
        "/v1/aliases/production", json={"ref": bundle, "reason": "first"}, headers=_auth(tokens, "admin")
    )
    assert r.status_code == 200
    deployments = app_state(app_client.app).deployments
    assert deployments.refresh() is False and "checksum" in (deployments.last_error or "")
    assert _post(app_client, tokens, 1)["versions"]["bundle"] != bundle  # still the defaults, no 500


class TestHttpRoles:
    def test_reading_is_for_reviewers_and_moving_for_leads(
        self, app_client: TestClient, registry_settings: Settings, tokens: dict[str, str], trained_model: Path
    ) -> None:
        version = _register(registry_settings, trained_model)
        assert app_client.get("/v1/models", headers=_auth(tokens, "service")).status_code == 403
        listed = app_client.get("/v1/models", headers=_auth(tokens, "moderator"))
        assert listed.status_code == 200 and [m["version"] for m in listed.json()] == [version]
        shown = app_client.get(f"/v1/models/{version}", headers=_auth(tokens, "moderator")).json()
        assert shown["version"] == version and shown["model"]["manifest"]["training_data"]["sources"]
        body = {"ref": version, "reason": "try"}
        assert app_client.post("/v1/aliases/shadow", json=body, headers=_auth(tokens, "moderator")).status_code == 403
        assert app_client.post("/v1/aliases/prod", json=body, headers=_auth(tokens, "lead")).status_code == 404
        assert app_client.post("/v1/aliases/shadow", json=body, headers=_auth(tokens, "lead")).status_code == 200
        assert app_client.post("/v1/aliases/production", json=body, headers=_auth(tokens, "lead")).status_code == 200
        history = app_client.get("/v1/aliases/history", headers=_auth(tokens, "lead")).json()
        assert [(e["alias"], e["action"], e["actor"]) for e in history] == [
            ("production", "first", "lead1"),
            ("shadow", "promote", "lead1"),
        ]
        aliases = {
            a["name"]: a["bundle"]["model_version"]
            for a in app_client.get("/v1/aliases", headers=_auth(tokens, "lead")).json()
        }
        assert aliases == {"production": version, "shadow": version}
        served = app_client.get(
            "/v1/served", params={"at": datetime.now(UTC).isoformat()}, headers=_auth(tokens, "lead")
        ).json()
        assert served["bundle"]["model_version"] == version and served["since"]["action"] == "first"
        missing = app_client.get("/v1/models/model-nope", headers=_auth(tokens, "lead"))
        assert missing.status_code == 404 and "models list" in missing.json()["error"]


def test_a_shadow_bundle_records_predictions_and_never_acts(
    app_client: TestClient, registry_settings: Settings, tokens: dict[str, str], trained_model: Path, tmp_path: Path
) -> None:
    from listingguard.screening.models import Prediction

    production = _register(registry_settings, trained_model)
    shadow = _register(registry_settings, variant(trained_model, tmp_path / "s", "model-shadow"))
    admin = _auth(tokens, "admin")
    a = app_client.post("/v1/aliases/production", json={"ref": production, "reason": "p"}, headers=admin).json()
    s = app_client.post("/v1/aliases/shadow", json={"ref": shadow, "reason": "s"}, headers=admin).json()
    deployments = app_state(app_client.app).deployments
    deployments.refresh()
    assert [arm.bundle_id for arm in deployments.current.arms] == [s["to_bundle"]]
    body = _post(app_client, tokens, 1)
    assert body["versions"]["bundle"] == a["to_bundle"]
    with session_scope(get_engine(registry_settings.resolved_database_url)) as session:
        predictions = session.execute(select(Prediction.role, Prediction.bundle_id, Prediction.model_version)).all()
        actions = session.execute(select(Action.bundle_id)).scalars().all()
    roles = {(role, bundle, model) for role, bundle, model in predictions}
    assert roles == {("production", a["to_bundle"], production), ("shadow", s["to_bundle"], shadow)}
    assert actions == [a["to_bundle"]]  # the shadow never acts
