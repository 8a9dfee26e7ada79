"""The moderator UI in process (no browser): what each view answers, and where its work runs."""

from __future__ import annotations

import inspect
import re
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from sqlalchemy.exc import OperationalError

from listingguard import deps
from listingguard.app import create_app
from listingguard.config import Settings
from listingguard.db import get_engine, session_scope
from listingguard.review.models import Decision
from listingguard.users import service as users_service
from listingguard.web import views as web_views
from tests.conftest import count, make_user
from tests.web.live import CLAIM, seed_flagged, ui_login

# Async callables a UI request may run on the event loop: none of them touches the database.
NO_IO_ON_THE_LOOP = {"get_db_session", "get_screener", "get_app_settings", "check_csrf", "form_values"}


def _async_calls(dependant: Dependant) -> Iterator[str]:
    for sub in dependant.dependencies:
        yield from _async_calls(sub)
    call = dependant.call
    if call is not None and (inspect.iscoroutinefunction(call) or inspect.isasyncgenfunction(call)):
        yield call.__name__


def test_no_ui_view_or_dependency_does_database_work_on_the_event_loop() -> None:
    ui_routes = [r for r in web_views.router.routes if isinstance(r, APIRoute)]
    assert ui_routes
    for route in ui_routes:
        assert not inspect.iscoroutinefunction(route.endpoint), f"{route.path}: async view"
        assert set(_async_calls(route.dependant)) <= NO_IO_ON_THE_LOOP, route.path


@pytest.fixture
def ui(settings: Settings, screener, database_url: str) -> Iterator[TestClient]:
    seed_flagged(database_url, screener)
    make_user(database_url, "mod", "moderator")
    make_user(database_url, "lead", "lead")
    get_engine(database_url).dispose()
    with TestClient(create_app(settings, screener=screener), raise_server_exceptions=False) as client:
        yield client


def claim(client: TestClient, csrf: str) -> tuple[int, str]:
    answer = client.post("/review/next", data={"csrf_token": csrf}, follow_redirects=False)
    assert answer.status_code == 303, answer.text
    task_id = int(re.search(r"/review/(\d+)", answer.headers["location"]).group(1))  # type: ignore[union-attr]
    token = CLAIM.search(client.get(f"/review/{task_id}").text)
    assert token
    return task_id, token.group(1)


def test_a_decision_whose_commit_fails_is_not_reported_as_done(
    ui: TestClient, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The session commits before the response goes out: a failed commit is the answer the client gets."""
    csrf = ui_login(ui, "mod")
    task_id, token = claim(ui, csrf)

    def refuse(session) -> None:  # type: ignore[no-untyped-def]
        session.rollback()
        session.close()
        raise OperationalError("COMMIT", {}, Exception("connection lost"))

    monkeypatch.setattr(deps, "_commit_and_close", refuse)
    answer = ui.post(f"/review/{task_id}/decide", data={"csrf_token": csrf, "claim_token": token, "verdict": "ok"})
    assert answer.status_code == 503 and "nothing" in answer.text
    assert count(database_url, Decision) == 0



def api_token(url: str, username: str) -> str:
    with session_scope(get_engine(url)) as session:
        user = users_service.get_by_username(session, username=username)
        return users_service.create_token(session, user=user, name="t", actor="tests", now=datetime.now(UTC))


def test_the_stats_page_and_the_stats_api_agree_on_who_may_see_them(ui: TestClient, database_url: str) -> None:
    """One permission check (``review:manage``) serves ``/stats`` and ``/v1/review/stats``."""
    make_user(database_url, "boss", "admin")
    for username, expected in (("mod", 403), ("lead", 200), ("boss", 200)):
        ui.cookies.clear()
        ui_login(ui, username)
        page, chart = ui.get("/stats"), ui.get("/stats/decisions.png")
        bearer = {"authorization": f"Bearer {api_token(database_url, username)}"}
        api = ui.get("/v1/review/stats", headers=bearer)
        assert (page.status_code, chart.status_code, api.status_code) == (expected,) * 3, username
        assert ('href="/stats"' in ui.get("/queue").text) is (expected == 200)  # no link to a refusal
        if expected == 403:
            assert "review:manage" in page.text
