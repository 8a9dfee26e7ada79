"""Password login and the CSRF check, in process (no browser): a wrong token is refused, the right one works."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from listingguard.app import create_app
from listingguard.config import Settings
from listingguard.db import get_engine
from listingguard.review.models import Decision, ReviewTask
from tests.conftest import count, make_user
from tests.web.live import CLAIM, PASSWORD, csrf_of, seed_flagged, ui_login


@pytest.fixture
def ui(settings: Settings, screener, database_url: str) -> Iterator[TestClient]:
    seed_flagged(database_url, screener)
    make_user(database_url, "mod", "moderator")
    get_engine(database_url).dispose()
    with TestClient(create_app(settings, screener=screener), raise_server_exceptions=False) as client:
        yield client


def logged_in(client: TestClient) -> bool:
    return client.get("/queue", follow_redirects=False).status_code == 200


def post_login(client: TestClient, csrf: str, password: str = PASSWORD):
    return client.post(
        "/login", data={"csrf_token": csrf, "username": "mod", "password": password}, follow_redirects=False
    )


def test_login_needs_the_pages_csrf_token_and_the_right_password(ui: TestClient) -> None:
    assert ui.get("/queue", follow_redirects=False).status_code == 303  # to the login page
    token = csrf_of(ui.get("/login").text)
    for wrong in ("", "x" + token, token[:-1]):
        answer = post_login(ui, wrong)
        assert answer.status_code == 403 and "CSRF check failed" in answer.text, wrong
        assert not logged_in(ui)
    answer = ui.post("/login", data={"username": "mod", "password": PASSWORD}, follow_redirects=False)
    assert answer.status_code == 403 and not logged_in(ui)  # no token at all
    answer = post_login(ui, token, password="wrong horse battery")
    assert answer.status_code == 401 and not logged_in(ui)
    answer = post_login(ui, token)
    assert answer.status_code == 303 and logged_in(ui)


def test_another_sessions_csrf_token_is_refused(ui: TestClient, settings: Settings, screener) -> None:
    with TestClient(create_app(settings, screener=screener)) as other:
        foreign = csrf_of(other.get("/login").text)
    own = csrf_of(ui.get("/login").text)
    assert foreign != own
    assert post_login(ui, foreign).status_code == 403 and not logged_in(ui)
    assert post_login(ui, own).status_code == 303 and logged_in(ui)


def test_a_decision_needs_the_csrf_token_in_the_form_or_the_header(ui: TestClient, database_url: str) -> None:
    csrf = ui_login(ui, "mod")
    answer = ui.post("/review/next", data={"csrf_token": "forged"}, follow_redirects=False)
    assert answer.status_code == 403
    assert count(database_url, Decision) == 0
    answer = ui.post("/review/next", data={"csrf_token": csrf}, follow_redirects=False)
    assert answer.status_code == 303
    task_id = int(re.search(r"/review/(\d+)", answer.headers["location"]).group(1))  # type: ignore[union-attr]
    claim = CLAIM.search(ui.get(f"/review/{task_id}").text)
    assert claim
    form = {"claim_token": claim.group(1), "verdict": "ok"}
    for refused in ({**form, "csrf_token": "forged"}, form):
        assert ui.post(f"/review/{task_id}/decide", data=refused).status_code == 403
    assert ui.post(f"/review/{task_id}/decide", data=form, headers={"x-csrf-token": "forged"}).status_code == 403
    assert count(database_url, Decision) == 0
    answer = ui.post(f"/review/{task_id}/decide", data=form, headers={"x-csrf-token": csrf})
    assert answer.status_code == 200, answer.text
    assert count(database_url, Decision) == 1


def test_a_decision_without_the_claim_token_is_refused(ui: TestClient, database_url: str) -> None:
    csrf = ui_login(ui, "mod")
    answer = ui.post("/review/next", data={"csrf_token": csrf}, follow_redirects=False)
    task_id = int(re.search(r"/review/(\d+)", answer.headers["location"]).group(1))  # type: ignore[union-attr]
    for token in ("", "not-the-lease"):
        answer = ui.post(f"/review/{task_id}/decide", data={"csrf_token": csrf, "claim_token": token, "verdict": "ok"})
        assert answer.status_code == 409, (token, answer.status_code)
    assert count(database_url, Decision) == 0
    with get_engine(database_url).connect() as conn:
        status = conn.execute(select(ReviewTask.status).where(ReviewTask.id == task_id)).scalar_one()
    assert status == "claimed"


def test_logout_needs_the_csrf_token(ui: TestClient) -> None:
    csrf = ui_login(ui, "mod")
    assert ui.post("/logout", data={"csrf_token": "forged"}, follow_redirects=False).status_code == 403
    assert logged_in(ui)
    assert ui.post("/logout", data={"csrf_token": csrf}, follow_redirects=False).status_code == 303
    assert not logged_in(ui)
