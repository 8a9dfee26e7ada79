"""Browser sessions for the moderator UI: a server-side session, a CSRF token, and role checks.

The cookie (Starlette's ``SessionMiddleware``, signed with itsdangerous) holds only the secret of a
server-side session (a ``web_sessions`` row, see ``users.service.start_session``) and the CSRF token.
Every state-changing form carries the token in a hidden field and htmx sends it as the ``X-CSRF-Token``
header; requests without a matching token are refused. The JSON API never accepts the
cookie, so a logged-in browser cannot be made to call it from another site.
"""

from __future__ import annotations

import hmac
import secrets
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

from fastapi import Depends, Request

from listingguard.config import Settings
from listingguard.deps import DbSession
from listingguard.errors import Forbidden, LGError
from listingguard.users import service as users_service
from listingguard.users.deps import ensure_allowed
from listingguard.users.models import User

CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"


class LoginRequired(LGError):
    """Not logged in: the UI redirects to the login page."""

    status_code = 401


def secret_key(settings: Settings) -> str:
    """The configured secret, or one generated once and kept (mode 0600) in ``home/secret_key``."""
    if settings.secret_key:
        return settings.secret_key
    path: Path = settings.home / "secret_key"
    if path.exists():
        return path.read_text(encoding="utf-8").strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48)
    path.write_text(key, encoding="utf-8")
    path.chmod(0o600)
    return key


def csrf_token(request: Request) -> str:
    """The session's CSRF token, created on first use."""
    token = request.session.get("csrf")
    if not token:
        token = secrets.token_urlsafe(32)
        request.session["csrf"] = token
    return str(token)


async def check_csrf(request: Request) -> None:
    """Refuse a state-changing request whose CSRF token does not match the session's."""
    expected = request.session.get("csrf", "")
    sent = request.headers.get(CSRF_HEADER, "")
    if not sent and request.headers.get("content-type", "").startswith(
        ("application/x-www-form-urlencoded", "multipart/form-data")
    ):
        form = await request.form()
        sent = str(form.get(CSRF_FIELD, ""))
    if not expected or not hmac.compare_digest(str(expected), str(sent)):
        raise Forbidden("the form expired or did not come from this site (CSRF check failed); reload the page")


SESSION_KEY = "sid"


def web_user(request: Request, db_session: DbSession) -> User:
    """The user of the request's live server-side session, or :class:`LoginRequired`.

    The cookie carries only the session's secret; the session itself is a row in ``web_sessions``, so
    logging out, disabling the account or changing its password ends it for a saved cookie too.
    """
    secret = request.session.get(SESSION_KEY)
    user = users_service.user_for_session(db_session, secret=str(secret), now=datetime.now(UTC)) if secret else None
    if user is None:
        raise LoginRequired("please log in")
    # for pages rendered outside the view (error pages): a copy, readable after the session has closed
    request.state.user = users_service.snapshot(user)
    return user


def web_reviewer(user: Annotated[User, Depends(web_user)]) -> User:
    """A logged-in user who may review (moderator, lead, admin): the API's ``review:work``."""
    return ensure_allowed(user, "review:work")


def web_lead(user: Annotated[User, Depends(web_user)]) -> User:
    """A logged-in user who may see the team's numbers (lead, admin): the API's ``review:manage``."""
    return ensure_allowed(user, "review:manage")


WebUser = Annotated[User, Depends(web_user)]
WebReviewer = Annotated[User, Depends(web_reviewer)]
WebLead = Annotated[User, Depends(web_lead)]
CsrfChecked = Depends(check_csrf)
