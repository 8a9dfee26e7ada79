"""Server-side browser sessions: logout, disabling an account and a new password end them for good,
whether the change comes from the UI, the API (``PATCH /v1/users/{name}``) or the CLI."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from listingguard.app import create_app
from listingguard.audit.models import AuditEntry
from listingguard.config import Settings
from listingguard.db import get_engine, session_scope
from listingguard.users import service as users_service
from listingguard.users.models import WebSession
from tests.cli.test_cli import run
from tests.conftest import count, make_token, make_user
from tests.web.live import PASSWORD, seed_flagged, ui_login

COOKIE = "listingguard_session"


@pytest.fixture
def app(settings: Settings, screener, database_url: str) -> Iterator[TestClient]:
    seed_flagged(database_url, screener)
    make_user(database_url, "mod", "moderator")
    make_user(database_url, "mod2", "moderator")
    get_engine(database_url).dispose()
    with TestClient(create_app(settings, screener=screener)) as client:
        yield client


@pytest.fixture
def admin(app: TestClient, database_url: str) -> dict[str, str]:
    return {"authorization": f"Bearer {make_token(database_url, 'root', 'admin')}"}


def logged_in(app: TestClient, username: str) -> tuple[str, str]:
    """Log in with a fresh cookie jar; returns the saved cookie and the CSRF token."""
    app.cookies.clear()
    csrf = ui_login(app, username)
    return str(app.cookies.get(COOKIE)), csrf


def works(app: TestClient, cookie: str) -> bool:
    """Whether a browser presenting this saved cookie is logged in."""
    app.cookies.clear()
    app.cookies.set(COOKIE, cookie)
    answer = app.get("/queue", follow_redirects=False)
    return answer.status_code == 200


def test_logout_ends_the_session_on_the_server(app: TestClient, database_url: str) -> None:
    saved, csrf = logged_in(app, "mod")
    assert works(app, saved)
    assert app.post("/logout", data={"csrf_token": csrf}, follow_redirects=False).status_code == 303
    assert not works(app, saved)  # a copy of the cookie saved before logout
    app.cookies.set(COOKIE, saved)
    claim = app.post("/review/next", data={"csrf_token": csrf}, follow_redirects=False)
    assert claim.status_code == 303 and claim.headers["location"] == "/login"  # nothing was claimed
    assert count(database_url, WebSession) == 0


def test_disabling_an_account_over_the_api_ends_its_sessions_only(
    app: TestClient, admin: dict[str, str], database_url: str
) -> None:
    mod, _ = logged_in(app, "mod")
    mod2, _ = logged_in(app, "mod2")
    answer = app.patch("/v1/users/mod", json={"active": False}, headers=admin)
    assert answer.status_code == 200, answer.text
    assert answer.json() == {"username": "mod", "role": "moderator", "active": False, "sessions_ended": 1}
    assert not works(app, mod) and works(app, mod2)
    app.cookies.clear()
    with pytest.raises(AssertionError):  # cannot log in while disabled
        ui_login(app, "mod")
    assert app.patch("/v1/users/mod", json={"active": True}, headers=admin).json()["active"] is True
    logged_in(app, "mod")  # enabled again
    with session_scope(get_engine(database_url)) as session:
        entry = session.scalars(select(AuditEntry).where(AuditEntry.action == "user.update")).first()
        assert entry is not None and entry.after == {"active": False, "sessions_ended": 1}


def test_a_new_password_over_the_api_ends_the_sessions_and_the_old_password(
    app: TestClient, admin: dict[str, str]
) -> None:
    saved, _ = logged_in(app, "mod")
    answer = app.patch("/v1/users/mod", json={"password": "a brand new passphrase"}, headers=admin)
    assert answer.json()["sessions_ended"] == 1
    assert not works(app, saved)
    app.cookies.clear()
    with pytest.raises(AssertionError):
        ui_login(app, "mod", PASSWORD)
    ui_login(app, "mod", "a brand new passphrase")


@pytest.mark.parametrize(
    ("username", "body", "status", "fragment"),
    [
        ("mod", {"password": "short"}, 422, "too short"),
        ("mod", {"role": "owner"}, 422, "role"),
        ("mod", {"active": "maybe"}, 422, "active"),
        ("mod", {"email": "x@y"}, 422, "email"),
        ("nobody", {"active": False}, 404, "nobody"),
        ("root", {"active": False}, 409, "your own"),
    ],
)
def test_patch_refuses_what_it_cannot_do(
    app: TestClient, admin: dict[str, str], username: str, body: dict, status: int, fragment: str
) -> None:
    answer = app.patch(f"/v1/users/{username}", json=body, headers=admin)
    assert answer.status_code == status and fragment in answer.text, answer.text


def test_only_admins_may_patch_accounts(app: TestClient, database_url: str) -> None:
    lead = make_token(database_url, "lena", "lead")
    answer = app.patch("/v1/users/mod", json={"active": False}, headers={"authorization": f"Bearer {lead}"})
    assert answer.status_code == 403


def test_the_cli_disables_enables_and_sets_passwords_and_ends_sessions(app: TestClient, database_url: str) -> None:
    env = {"LISTINGGUARD_DATABASE_URL": database_url}
    saved, _ = logged_in(app, "mod")
    disabled = run("users", "disable", "mod", env=env)
    assert disabled.exit_code == 0 and "1 browser session(s) ended" in disabled.output
    assert not works(app, saved)
    assert "no" in run("users", "list", env=env).output
    assert run("users", "enable", "mod", env=env).exit_code == 0
    saved, _ = logged_in(app, "mod")
    changed = run("users", "set-password", "mod", "--password-stdin", env=env, input="another long passphrase\n")
    assert changed.exit_code == 0 and "1 browser session(s) ended" in changed.output
    assert not works(app, saved)
    short = run("users", "set-password", "mod", "--password-stdin", env=env, input="short\n")
    assert short.exit_code == 1 and "too short" in short.output
    missing = run("users", "disable", "nobody", env=env)
    assert missing.exit_code == 1 and "no user 'nobody'" in missing.output


def test_an_expired_session_logs_nobody_in(app: TestClient, database_url: str) -> None:
    saved, _ = logged_in(app, "mod")
    with session_scope(get_engine(database_url)) as session:
        row = session.scalars(select(WebSession)).one()
        row.expires_at = datetime(2000, 1, 1, tzinfo=UTC)
    assert not works(app, saved)
    with session_scope(get_engine(database_url)) as session:  # the next login clears it away
        user = users_service.get_by_username(session, username="mod")
        users_service.start_session(session, user=user, now=datetime.now(UTC))  # type: ignore[arg-type]
        assert len(session.scalars(select(WebSession)).all()) == 1


def test_a_disabled_accounts_tokens_stop_working_at_once_in_this_process(
    app: TestClient, admin: dict[str, str], database_url: str
) -> None:
    bearer = {"authorization": f"Bearer {make_token(database_url, 'lena', 'lead')}"}
    assert app.get("/v1/review/queue", headers=bearer).status_code == 200  # verified and cached now
    app.patch("/v1/users/lena", json={"active": False}, headers=admin)
    refused = app.get("/v1/review/queue", headers=bearer)
    assert refused.status_code == 401 and "disabled" in refused.text
