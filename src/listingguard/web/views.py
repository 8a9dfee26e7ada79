"""The moderator UI: log in, the queue, the review page (keyboard driven), stats.

Server-rendered with Jinja2; htmx swaps the review card after each decision so the keyboard flow
(claim → decide → next) never reloads the page. Every page also works without JavaScript.
"""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from matplotlib.figure import Figure

from listingguard.config import PACKAGE_DIR
from listingguard.deps import AppSettings, DbSession
from listingguard.errors import Invalid, LGError
from listingguard.listings.models import ListingRevision
from listingguard.review import service as review_service
from listingguard.review.display import segments, task_view
from listingguard.review.models import TASK_KINDS, Decision
from listingguard.screening.deps import CurrentScreener
from listingguard.state import app_state
from listingguard.users import service as users_service
from listingguard.users.deps import allowed
from listingguard.web.auth import SESSION_KEY, CsrfChecked, WebLead, WebReviewer, csrf_token

router = APIRouter(include_in_schema=False)
templates = Jinja2Templates(  # the backtest report body is shared with the report file it also writes
    directory=[str(PACKAGE_DIR / "web" / "templates"), str(PACKAGE_DIR / "evaluation" / "backtest" / "templates")]
)
templates.env.globals["allowed"] = allowed  # the navigation shows only what the user may open

AGES: list[tuple[str, str]] = [
    ("", "any age"),
    ("new15", "newer than 15 min"),
    ("new60", "newer than 1 hour"),
    ("old60", "older than 1 hour"),
    ("old1440", "older than 1 day"),
]


def _now() -> datetime:
    return datetime.now(UTC)


def _is_htmx(request: Request) -> bool:
    return request.headers.get("hx-request") == "true"


def render(request: Request, template: str, status_code: int = 200, **context: Any) -> HTMLResponse:
    """Render a page or, for htmx requests, just the fragment."""
    context.setdefault("user", getattr(request.state, "user", None))  # error pages keep the navigation
    context.setdefault("filters", review_service.QueueFilter())
    context["csrf"] = csrf_token(request)
    if template.startswith("_") and not _is_htmx(request):
        context["fragment"] = template
        template = "page.html"
    return templates.TemplateResponse(request, template, context, status_code=status_code)


def _age_filter(age: str | None) -> tuple[int | None, int | None]:
    if not age:
        return None, None
    if age.startswith("new") and age[3:].isdigit():
        return None, int(age[3:])
    if age.startswith("old") and age[3:].isdigit():
        return int(age[3:]), None
    raise Invalid(f"unknown age filter {age!r}")


def _filters_from(values: dict[str, Any], topics: list[str]) -> review_service.QueueFilter:
    def ints(name: str) -> int | None:
        raw = values.get(name)
        return int(raw) if raw not in (None, "") and str(raw).isdigit() else None

    kinds = tuple(k for k in values.get("filter_kind", []) if k)
    return review_service.QueueFilter(
        kinds=kinds,
        topic=values.get("filter_topic") or None,
        older_than_minutes=ints("filter_older"),
        newer_than_minutes=ints("filter_newer"),
    ).validate(topics)


async def form_values(request: Request) -> dict[str, Any]:
    """The submitted form as a dict (``filter_kind`` and ``topic`` as lists).

    Reading the body needs the event loop, so it is an async dependency; the views that use it are plain
    functions and run in the thread pool, because they do database work (row locks on PostgreSQL) that
    must never block the loop.
    """
    form = await request.form()
    values: dict[str, Any] = {k: form.get(k) for k in form}
    values["filter_kind"] = form.getlist("filter_kind")
    values["topic_list"] = form.getlist("topic")
    return values


FormValues = Annotated[dict[str, Any], Depends(form_values)]


# -- log in / out ---------------------------------------------------------------------------------------
@router.get("/login")
def login_page(request: Request) -> HTMLResponse:
    return render(request, "login.html")


@router.post("/login", dependencies=[CsrfChecked])
def login(request: Request, db_session: DbSession, form: FormValues) -> Response:
    """Check the password (in the thread pool: Argon2 takes tens of milliseconds) and start a session."""
    username, password = str(form.get("username") or ""), str(form.get("password") or "")
    now = _now()
    try:
        users_service.note_login_attempt(
            app_state(request).sessionmaker, username=username, address=_address(request), now=now
        )
    except users_service.TooManyAttempts as exc:
        response = render(request, "login.html", status_code=429, error=exc.message, username=username)
        response.headers["Retry-After"] = str(exc.retry_after)
        return response
    try:
        user = users_service.authenticate(db_session, username=username, password=password)
    except LGError as exc:
        return render(request, "login.html", status_code=401, error=exc.message, username=username)
    users_service.login_succeeded(db_session, username=username)
    secret = users_service.start_session(db_session, user=user, now=now)
    request.session.clear()
    request.session[SESSION_KEY] = secret
    csrf_token(request)  # a fresh token for the new session
    return RedirectResponse("/queue", status_code=303)


def _address(request: Request) -> str:
    """The client's address, which failed logins are also counted by (behind a proxy: the proxy's,
    unless uvicorn is told to trust its forwarding headers)."""
    return request.client.host if request.client else "unknown"


@router.post("/logout", dependencies=[CsrfChecked])
def logout(request: Request, db_session: DbSession) -> Response:
    """End the session on the server, not only in this browser: a saved copy of the cookie stops working."""
    secret = request.session.get(SESSION_KEY)
    if secret:
        users_service.end_session(db_session, secret=str(secret))
    request.session.clear()
    return RedirectResponse("/login", status_code=303)


@router.get("/")
def home() -> Response:
    return RedirectResponse("/queue", status_code=303)


# -- queue ----------------------------------------------------------------------------------------------
@router.get("/queue")
def queue_page(request: Request, db_session: DbSession, user: WebReviewer, screener: CurrentScreener) -> HTMLResponse:
    params = request.query_params
    older, newer = _age_filter(params.get("age"))
    flt = review_service.QueueFilter(
        kinds=tuple(k for k in params.getlist("kind") if k),
        topic=params.get("topic") or None,
        older_than_minutes=older,
        newer_than_minutes=newer,
    ).validate(screener.topics)
    limit = 200
    now = _now()
    tasks = review_service.get_queue(db_session, reviewer=user, flt=flt, now=now, limit=limit)
    titles = {}
    ages_of = {}
    for task in tasks:
        revision = db_session.get(ListingRevision, task.revision_id)
        titles[task.id] = revision.title if revision else ""
        created = task.created_at if task.created_at.tzinfo else task.created_at.replace(tzinfo=UTC)
        minutes = int((now - created).total_seconds() // 60)
        ages_of[task.id] = f"{minutes // 60} h {minutes % 60} min" if minutes >= 60 else f"{minutes} min"
    return render(
        request,
        "queue.html",
        user=user,
        nav="queue",
        tasks=tasks,
        titles=titles,
        ages_of=ages_of,
        limit=limit,
        filters=flt,
        kinds=TASK_KINDS,
        topics=screener.topics,
        ages=AGES,
        age=params.get("age", ""),
    )


# -- reviewing ------------------------------------------------------------------------------------------
def _task_page(
    request: Request, db_session: DbSession, screener: CurrentScreener, task_id: int, filters: Any, user: Any
) -> HTMLResponse:
    task = review_service.get_or_raise(db_session, task_id=task_id)
    if task.status != "claimed" or task.claimed_by != user.id:
        return render(
            request,
            "_message.html",
            user=user,
            title="This task is not yours",
            message="You do not hold this task (it was decided, skipped, or your lease expired). Take the next one.",
            error=True,
        )
    view = task_view(db_session, task=task, prices=screener, show_claim=True)
    signals = view["signals"] or {"rule_hits": [], "explanations": {}}
    lease = view["lease_expires_at"]
    response = render(
        request,
        "_task.html",
        user=user,
        view=view,
        topics=screener.topics,
        filters=filters,
        lease=lease.strftime("%H:%M:%S") if lease else "",
        title_segments=segments(view["listing"]["title"], "title", signals["rule_hits"], signals["explanations"]),
        description_segments=segments(
            view["listing"]["description"], "description", signals["rule_hits"], signals["explanations"]
        ),
    )
    if _is_htmx(request):
        response.headers["HX-Push-Url"] = f"/review/{task.id}{_filter_query(filters)}"
    return response


@router.post("/review/next", dependencies=[CsrfChecked])
def next_task(
    request: Request,
    db_session: DbSession,
    user: WebReviewer,
    screener: CurrentScreener,
    settings: AppSettings,
    values: FormValues,
) -> Response:
    flt = _filters_from(values, screener.topics)
    task = review_service.claim_next(
        db_session, reviewer=user, flt=flt, now=_now(), lease=timedelta(seconds=settings.review_lease_seconds)
    )
    if task is None:
        return render(request, "_empty.html", user=user, filters=flt)
    return _show_claimed(request, db_session, screener, task.id, flt, user)


def _show_claimed(
    request: Request, db_session: DbSession, screener: CurrentScreener, task_id: int, flt: Any, user: Any
) -> Response:
    """A task just claimed: the page itself for htmx, a redirect to it otherwise (so reload works)."""
    if not _is_htmx(request):
        return RedirectResponse(f"/review/{task_id}{_filter_query(flt)}", status_code=303)
    return _task_page(request, db_session, screener, task_id, flt, user)


@router.post("/review/{task_id}/claim", dependencies=[CsrfChecked])
def claim_task(
    task_id: int,
    request: Request,
    db_session: DbSession,
    user: WebReviewer,
    screener: CurrentScreener,
    settings: AppSettings,
    values: FormValues,
) -> Response:
    """A row clicked in the queue: claim that task, if it can still be had."""
    flt = _filters_from(values, screener.topics)
    task = review_service.claim_task(
        db_session, task_id=task_id, reviewer=user, now=_now(), lease=timedelta(seconds=settings.review_lease_seconds)
    )
    return _show_claimed(request, db_session, screener, task.id, flt, user)


@router.get("/review/{task_id}")
def review_page(
    task_id: int, request: Request, db_session: DbSession, user: WebReviewer, screener: CurrentScreener
) -> HTMLResponse:
    params = request.query_params
    values = {
        "filter_kind": params.getlist("kind"),
        "filter_topic": params.get("topic"),
        "filter_older": params.get("older_than"),
        "filter_newer": params.get("newer_than"),
    }
    return _task_page(request, db_session, screener, task_id, _filters_from(values, screener.topics), user)


def _filter_query(flt: review_service.QueueFilter) -> str:
    """The queue filters as a query string, so a full page load keeps them."""
    pairs: list[tuple[str, str]] = [("kind", k) for k in flt.kinds]
    if flt.topic:
        pairs.append(("topic", flt.topic))
    if flt.older_than_minutes is not None:
        pairs.append(("older_than", str(flt.older_than_minutes)))
    if flt.newer_than_minutes is not None:
        pairs.append(("newer_than", str(flt.newer_than_minutes)))
    return "?" + urlencode(pairs) if pairs else ""


@router.post("/review/{task_id}/decide", dependencies=[CsrfChecked])
def decide(
    task_id: int,
    request: Request,
    db_session: DbSession,
    user: WebReviewer,
    screener: CurrentScreener,
    values: FormValues,
) -> HTMLResponse:
    verdict = values.get("verdict")
    topics = [str(t) for t in values["topic_list"]]
    if verdict == "ok":
        topics = []
    elif not topics:
        raise Invalid("choose at least one violated topic (digits), or press o for OK")
    decision = review_service.decide(
        db_session,
        task_id=task_id,
        reviewer=user,
        claim_token=str(values.get("claim_token", "")),
        topics=topics,
        note=(str(values.get("note")) or None) if values.get("note") else None,
        known_topics=screener.topics,
        sampling_policy=screener.policy.spec.sampling,
        now=_now(),
    )
    return render(
        request,
        "_decided.html",
        user=user,
        decision=decision,
        filters=_filters_from(values, screener.topics),
        effect=_effect(decision),
    )


def _effect(decision: Decision) -> str:
    if decision.purpose == "second_review":
        return "Recorded as a second review (used to measure agreement)."
    return "The listing is visible again." if decision.ok else "The listing is hidden."


@router.post("/review/{task_id}/skip", dependencies=[CsrfChecked])
def skip(
    task_id: int,
    request: Request,
    db_session: DbSession,
    user: WebReviewer,
    screener: CurrentScreener,
    settings: AppSettings,
    values: FormValues,
) -> Response:
    review_service.release(
        db_session, task_id=task_id, reviewer=user, claim_token=str(values.get("claim_token", "")), now=_now()
    )
    flt = _filters_from(values, screener.topics)
    task = review_service.claim_next(  # the next task, not the skipped one straight back
        db_session,
        reviewer=user,
        flt=flt,
        now=_now(),
        lease=timedelta(seconds=settings.review_lease_seconds),
        passing_over=(task_id,),
    )
    if task is None:  # the skipped task was the only one left
        return render(request, "_empty.html", user=user, filters=flt, skipped=task_id)
    return _show_claimed(request, db_session, screener, task.id, flt, user)


# -- stats ----------------------------------------------------------------------------------------------
@router.get("/stats")
def stats_page(request: Request, db_session: DbSession, user: WebLead, screener: CurrentScreener) -> HTMLResponse:
    return render(
        request,
        "stats.html",
        user=user,
        nav="stats",
        stats=review_service.stats(db_session, topics=screener.topics, now=_now()),
    )


@router.get("/stats/decisions.png")
def decisions_chart(db_session: DbSession, user: WebLead) -> Response:
    hours = review_service.decisions_per_hour(db_session, now=_now())
    fig = Figure(figsize=(9, 2.6))
    ax = fig.subplots()
    ax.bar(range(len(hours)), [h["decisions"] for h in hours], color="#1d4ed8")
    ax.set_xticks(range(0, len(hours), 3), [h["hour"][-5:] for h in hours][::3], fontsize=8)
    ax.set_ylabel("decisions")
    ax.set_title("decisions per hour, last 24 hours (UTC)", fontsize=10)
    ax.grid(axis="y", alpha=0.3)
    fig.tight_layout()
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=100)
    return Response(buffer.getvalue(), media_type="image/png", headers={"Cache-Control": "no-store"})


def require_login_redirect(request: Request) -> Response:
    """Where the UI sends someone who is not logged in (a redirect, or an htmx redirect header)."""
    if _is_htmx(request):
        return Response(status_code=200, headers={"HX-Redirect": "/login"})
    return RedirectResponse("/login", status_code=303)
