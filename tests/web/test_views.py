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
from sqlalchemy import select
from sqlalchemy.exc import OperationalError

from listingguard import deps
from listingguard.app import create_app
from listingguard.config import Settings
from listingguard.db import get_engine, session_scope
from listingguard.review.models import Decision, ReviewTask
from listingguard.users import service as users_service
from listingguard.web import views as web_views
from tests.conftest import count, make_user
from tests.web.live import CLAIM, seed_flagged, ui_login

# Async callables a request may run on the event loop: none of them touches the database (the API's
# permission check looks tokens up in a worker thread; POST /v1/listings writes in the group writer's).
NO_IO_ON_THE_LOOP = {
    "get_db_session",
    "get_screener",
    "get_app_settings",
    "check_csrf",
    "form_values",
    "check",
    "versions",
    "ping",
    "create_listings",
    "health",  # awaits its probe, which runs SELECT 1 in a thread of its own (system.views.HealthProbe)
    # fastapi-offline's /docs and /redoc pages: templated HTML from packaged assets, no I/O
    "custom_swagger_ui_html",
    "swagger_ui_redirect",
    "redoc_html",
}


def _async_calls(dependant: Dependant) -> Iterator[str]:
    for sub in dependant.dependencies:
        yield from _async_calls(sub)
    call = dependant.call
    if call is not None and (inspect.iscoroutinefunction(call) or inspect.isasyncgenfunction(call)):
        yield call.__name__


def _api_routes(routes: list) -> Iterator[APIRoute]:  # type: ignore[type-arg]
    for route in routes:
        if isinstance(route, APIRoute):
            yield route
        elif hasattr(route, "original_router"):  # an included router (FastAPI includes them lazily)
            yield from _api_routes(route.original_router.routes)


def test_no_view_or_dependency_does_database_work_on_the_event_loop(tmp_path) -> None:  # type: ignore[no-untyped-def]
    app = create_app(Settings(home=tmp_path, database_url=f"sqlite:///{tmp_path / 'x.db'}"))
    routes = list(_api_routes(app.routes))
    ui = {r.path for r in web_views.router.routes if isinstance(r, APIRoute)}
    assert ui <= {r.path for r in routes}
    for route in routes:
        if route.path in ui:
            assert not inspect.iscoroutinefunction(route.endpoint), f"{route.path}: async UI view"
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
    assert answer.status_code == 503 and "may or may not have been saved" in answer.text
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


def test_skip_takes_the_next_task_not_the_skipped_one(ui: TestClient, database_url: str) -> None:
    csrf = ui_login(ui, "mod")
    first, token = claim(ui, csrf)  # the most urgent task
    answer = ui.post(
        f"/review/{first}/skip", data={"csrf_token": csrf, "claim_token": token}, headers={"HX-Request": "true"}
    )
    assert answer.status_code == 200 and 'id="task"' in answer.text, answer.text
    shown = int(re.search(r'data-task-id="(\d+)"', answer.text).group(1))  # type: ignore[union-attr]
    assert shown != first
    with session_scope(get_engine(database_url)) as session:
        assert session.get(ReviewTask, first).status == "open"  # type: ignore[union-attr]
        assert session.get(ReviewTask, shown).claimed_by is not None  # type: ignore[union-attr]


def test_skipping_the_last_task_says_so_and_offers_it_again(ui: TestClient, database_url: str) -> None:
    csrf = ui_login(ui, "mod")
    with session_scope(get_engine(database_url)) as session:
        waiting = session.scalars(select(ReviewTask).where(ReviewTask.status == "open")).all()
        for task in waiting[1:]:
            task.status = "cancelled"
    only, token = claim(ui, csrf)
    answer = ui.post(f"/review/{only}/skip", data={"csrf_token": csrf, "claim_token": token})
    assert "back in the queue" in answer.text and 'id="next-form"' in answer.text
    again = ui.post("/review/next", data={"csrf_token": csrf}, follow_redirects=False)
    assert again.headers["location"].startswith(f"/review/{only}")


def test_a_queue_row_claims_its_own_task(ui: TestClient, database_url: str) -> None:
    csrf = ui_login(ui, "mod")
    queue = ui.get("/queue").text
    rows = [int(i) for i in re.findall(r'<tr class="clickable" data-task-id="(\d+)"', queue)]
    assert len(rows) >= 2 and f'action="/review/{rows[-1]}/claim"' in queue
    chosen = rows[-1]  # the least urgent: not what "next" would give
    answer = ui.post(f"/review/{chosen}/claim", data={"csrf_token": csrf}, follow_redirects=False)
    assert answer.status_code == 303 and answer.headers["location"] == f"/review/{chosen}"
    page = ui.get(f"/review/{chosen}")
    assert f'data-task-id="{chosen}"' in page.text and CLAIM.search(page.text)
    assert ui.post(f"/review/{chosen}/claim", data={"csrf_token": csrf}, follow_redirects=False).status_code == 303
    ui.cookies.clear()
    make_user(database_url, "mod2", "moderator")
    csrf2 = ui_login(ui, "mod2")
    taken = ui.post(f"/review/{chosen}/claim", data={"csrf_token": csrf2}, follow_redirects=False)
    assert taken.status_code == 409 and "taken by another moderator" in taken.text


def test_error_pages_are_html_with_the_navigation_for_people_and_json_for_the_api(ui: TestClient) -> None:
    ui_login(ui, "mod")
    for path, status in (("/review/abc", 422), ("/review/999999", 404)):
        page = ui.get(path)
        assert page.status_code == status and page.headers["content-type"].startswith("text/html"), path
        assert 'class="who"' in page.text and "mod" in page.text and 'href="/queue"' in page.text, path
        assert 'id="next-anywhere"' in page.text  # n works here too
    api = ui.post("/v1/review/tasks/abc/decision", json={}, headers={"authorization": "Bearer nope"})
    assert api.headers["content-type"] == "application/json"
