"""The registry in the moderator UI: model versions (search by topic, author, date or text), the aliases,
and backtest reports (leads only — ``WebLead``, the ``review:manage`` check the API uses: they show what
each model flagged, which moderators labelling blind must not see).

Read-only on purpose: moving an alias is a release and goes through ``listingguard models promote`` or
``POST /v1/aliases/…``, where the release gate and the audit trail live.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy import select

from listingguard.config import get_settings
from listingguard.deps import DbSession
from listingguard.errors import Invalid, NotFound
from listingguard.evaluation.backtest import design
from listingguard.evaluation.backtest import plots as backtest_plots
from listingguard.evaluation.backtest import report as backtest_report
from listingguard.evaluation.backtest import service as backtest_service
from listingguard.evaluation.backtest.models import BacktestItem
from listingguard.registry import reports, service
from listingguard.registry.models import ModelVersion
from listingguard.review.models import Decision, ReviewTask
from listingguard.web.auth import WebLead, WebReviewer
from listingguard.web.views import render

router = APIRouter(include_in_schema=False)


def _day(value: str, name: str) -> datetime | None:
    if not value:
        return None
    try:
        return datetime.fromisoformat(value).replace(tzinfo=UTC)
    except ValueError:
        raise Invalid(f"{name}: give a date as YYYY-MM-DD") from None


@router.get("/models")
def models_page(
    request: Request,
    db_session: DbSession,
    user: WebReviewer,
    topic: str = Query("", max_length=64),
    author: str = Query("", max_length=64),
    since: str = Query("", max_length=32),
    until: str = Query("", max_length=32),
    q: str = Query("", max_length=200),
    never_served: bool = False,
) -> HTMLResponse:
    """Model versions, newest first, with who trained them, on what, whether they served and which alias names them."""
    flt = service.ModelFilter(
        topic=topic or None,
        author=author or None,
        since=_day(since, "since"),
        until=_day(until, "until"),
        never_served=never_served,
    )
    items = reports.list_models(db_session, flt=flt)
    if q:
        matching = set(db_session.scalars(select(ModelVersion.version).where(service.search_filter(q))))
        items = [m for m in items if m.version in matching]
    aliases = reports.aliases(db_session)
    named: dict[str, list[str]] = {}
    for alias in aliases:
        if alias.bundle is not None and alias.bundle.model_version:
            named.setdefault(alias.bundle.model_version, []).append(alias.name)
    topics = sorted({t for m in reports.list_models(db_session, flt=service.ModelFilter()) for t in m.topics})
    return render(
        request,
        "models.html",
        user=user,
        nav="models",
        items=items,
        aliases=aliases,
        named=named,
        topics=topics,
        form={"topic": topic, "author": author, "since": since, "until": until, "q": q, "never_served": never_served},
    )


# -- backtests ------------------------------------------------------------------------------------------
_REPORTS: dict[tuple[int, int], dict[str, Any]] = {}


def _report(db_session: Any, backtest_id: int) -> dict[str, Any]:
    """The report, cached per number of decided tasks (labels only ever grow, so the key says when to redo)."""
    row = backtest_service.get(db_session, backtest_id=backtest_id)
    key = (backtest_id, backtest_service.progress_of(db_session, row)["decided"])
    if key not in _REPORTS:
        settings = get_settings()
        gate = backtest_report.GateConfig(margin=settings.gate_margin, load_budget=settings.gate_load_budget)
        _REPORTS.clear()
        _REPORTS[key] = backtest_report.build(db_session, row, gate=gate)
    return _REPORTS[key]


BacktestId = Annotated[int, Path(ge=1, le=2**31 - 1)]


@router.get("/backtests")
def backtests_page(request: Request, db_session: DbSession, user: WebLead) -> HTMLResponse:
    """Every backtest with its progress."""
    rows = [(row, backtest_service.progress_of(db_session, row)) for row in backtest_service.list_backtests(db_session)]
    return render(request, "backtests.html", user=user, nav="models", rows=rows)


@router.get("/backtests/{backtest_id}")
def backtest_page(backtest_id: BacktestId, request: Request, db_session: DbSession, user: WebLead) -> HTMLResponse:
    """The report: the gate's verdict with its reasons, the tables and plots, each count linked to its tasks."""
    data = _report(db_session, backtest_id)
    return render(
        request,
        "backtest.html",
        user=user,
        nav="models",
        r=data,
        img=lambda name: f"/backtests/{backtest_id}/{name}.png",
        tasks_url=lambda stratum="", topic="", set="": (
            f"/backtests/{backtest_id}/tasks"
            + (f"?stratum={stratum}" if stratum else f"?topic={topic}&set={set}" if topic else "")
        ),
    )


@router.get("/backtests/{backtest_id}/{name}.png")
def backtest_plot(backtest_id: BacktestId, name: str, db_session: DbSession, user: WebLead) -> Response:
    if name not in backtest_plots.PLOTS:
        raise NotFound(f"no plot {name!r}")
    return Response(backtest_plots.render(_report(db_session, backtest_id), name), media_type="image/png")


# a set of the per-topic table -> (flagged by the candidate at matched volume, flagged by production);
# None: either way
SETS: dict[str, tuple[bool | None, bool | None]] = {
    "candidate_only": (True, False),
    "production_only": (False, True),
    "both": (True, True),
    "neither": (False, False),
    "candidate": (True, None),
    "production": (None, True),
}


def _in_set(wanted: tuple[bool | None, bool | None], candidate: bool, production: bool) -> bool:
    return wanted[0] in (None, candidate) and wanted[1] in (None, production)


@router.get("/backtests/{backtest_id}/tasks")
def backtest_tasks(
    backtest_id: BacktestId,
    request: Request,
    db_session: DbSession,
    user: WebLead,
    stratum: str = Query("", max_length=32),
    topic: str = Query("", max_length=64),
    flagged_by: str = Query("", alias="set", max_length=32),
) -> HTMLResponse:
    """The evaluation tasks behind a number: each with its stratum, inclusion probability and decision.

    ``topic`` with ``set`` narrows them to the listings one cell of the per-topic table counts: flagged
    for that topic by the candidate at matched volume only (``candidate_only``), by production only, by
    both, by neither (the exploration sample), or by one model whatever the other did (``candidate``,
    ``production``: the tasks behind each model's precision).
    """
    row = backtest_service.get(db_session, backtest_id=backtest_id)
    codes = {design.stratum_name(c): c for c in range(-1, 2 + design.EXPLORE_STRATA)}
    if stratum and stratum not in codes:
        raise Invalid(f"unknown stratum {stratum!r}; one of {', '.join(codes)}")
    if topic and topic not in row.topics:
        raise Invalid(f"unknown topic {topic!r} for backtest {row.id}; one of {', '.join(row.topics)}")
    if flagged_by and flagged_by not in SETS:
        raise Invalid(f"unknown set {flagged_by!r}; one of {', '.join(SETS)}")
    if bool(topic) != bool(flagged_by):
        raise Invalid("give `topic` and `set` together (e.g. ?topic=drugs&set=candidate_only)")
    bit = 1 << row.topics.index(topic) if topic else 0
    query = (
        select(BacktestItem, ReviewTask, Decision)
        .join(ReviewTask, ReviewTask.id == BacktestItem.task_id)
        .outerjoin(Decision, Decision.task_id == ReviewTask.id)
        .where(BacktestItem.backtest_id == row.id, BacktestItem.sampled)
        .order_by(ReviewTask.id)
    )
    if stratum:
        query = query.where(BacktestItem.stratum == codes[stratum])
    tasks = [
        {
            "task": task.id,
            "listing": item.listing_id,
            "stratum": design.stratum_name(item.stratum if item.stratum is not None else -2),
            "pi": item.inclusion_probability,
            "status": task.status,
            "verdict": None if decision is None else ("ok" if decision.ok else ", ".join(decision.topics)),
        }
        for item, task, decision in db_session.execute(query).all()
        if not bit or _in_set(SETS[flagged_by], bool(item.matched_mask & bit), bool(item.production_mask & bit))
    ]
    return render(
        request,
        "backtest_tasks.html",
        user=user,
        nav="models",
        backtest=row,
        tasks=tasks,
        stratum=stratum,
        topic=topic,
        flagged_by=flagged_by.replace("_", " "),
    )
