"""Review API: claim, decide, release, queue, stats, evaluation tasks, appeals, audit."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Response
from pydantic import StringConstraints

from listingguard.audit import service as audit_service
from listingguard.deps import AppSettings, DbSession
from listingguard.inputs import DbId, Minutes, Text
from listingguard.review import service
from listingguard.review.display import task_view
from listingguard.review.schemas import (
    AppealCreated,
    AppealIn,
    AuditEntryRead,
    ClaimIn,
    DecisionIn,
    DecisionRead,
    EvaluationTasksIn,
    QueueItem,
    ReleaseIn,
    ReviewStats,
    TaskIds,
    TaskRead,
)
from listingguard.routing import APIRoute
from listingguard.screening.deps import CurrentScreener
from listingguard.users.deps import require
from listingguard.users.models import User

router = APIRouter(prefix="/v1", tags=["review"], route_class=APIRoute)

TaskId = Annotated[DbId, Path(description="a task id, from claim or the queue")]

Reviewer = Annotated[User, Depends(require("review:work"))]
Lead = Annotated[User, Depends(require("review:manage"))]
Appealer = Annotated[User, Depends(require("appeals:create"))]


def _now() -> datetime:
    return datetime.now(UTC)


@router.post(
    "/review/claim",
    summary="Claim the most urgent task (204 when the queue is empty)",
    response_model=TaskRead,
    responses={204: {"description": "The queue is empty"}},
)
def claim(
    claim_in: ClaimIn, db_session: DbSession, user: Reviewer, screener: CurrentScreener, settings: AppSettings
) -> Any:
    """Lease the next task for the caller; the lease expires after ``LISTINGGUARD_REVIEW_LEASE_SECONDS``."""
    flt = service.QueueFilter(
        kinds=tuple(claim_in.kinds),
        topic=claim_in.topic,
        older_than_minutes=claim_in.older_than_minutes,
        newer_than_minutes=claim_in.newer_than_minutes,
    ).validate(screener.topics)
    task = service.claim_next(
        db_session, reviewer=user, flt=flt, now=_now(), lease=timedelta(seconds=settings.review_lease_seconds)
    )
    if task is None:
        return Response(status_code=204)
    return task_view(db_session, task=task, prices=screener, show_claim=True)


@router.post(
    "/review/tasks/{task_id}/decision",
    summary="Decide a claimed task",
    response_model=DecisionRead,
    responses={404: {"description": "No such task"}, 409: {"description": "Not yours, or decided otherwise"}},
)
def decide(
    task_id: TaskId, decision_in: DecisionIn, db_session: DbSession, user: Reviewer, screener: CurrentScreener
) -> Any:
    """Record the verdict; repeating the same submit returns the same decision."""
    return service.decide(
        db_session,
        task_id=task_id,
        reviewer=user,
        claim_token=decision_in.claim_token,
        topics=decision_in.topics,
        note=decision_in.note,
        known_topics=screener.topics,
        sampling_policy=screener.policy.spec.sampling,
        now=_now(),
    )


@router.post(
    "/review/tasks/{task_id}/release",
    summary="Give a claimed task back (skip)",
    status_code=204,
    responses={404: {"description": "No such task"}, 409: {"description": "Not yours"}},
)
def release(task_id: TaskId, release_in: ReleaseIn, db_session: DbSession, user: Reviewer) -> Response:
    """Return the task to the queue."""
    service.release(db_session, task_id=task_id, reviewer=user, claim_token=release_in.claim_token, now=_now())
    return Response(status_code=204)


@router.get("/review/queue", summary="Claimable tasks in hand-out order", response_model=list[QueueItem])
def queue(
    db_session: DbSession,
    user: Reviewer,
    screener: CurrentScreener,
    kind: Annotated[list[Annotated[Text, StringConstraints(max_length=32)]] | None, Query()] = None,
    topic: Annotated[Text | None, Query(max_length=64)] = None,
    older_than_minutes: Minutes | None = None,
    newer_than_minutes: Minutes | None = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> Any:
    """What the caller would get, most urgent first."""
    flt = service.QueueFilter(tuple(kind or ()), topic, older_than_minutes, newer_than_minutes).validate(
        screener.topics
    )
    tasks = service.get_queue(db_session, reviewer=user, flt=flt, now=_now(), limit=limit)
    blind = {"evaluation"}
    return [
        {
            "id": t.id,
            "kind": t.kind,
            "purpose": t.purpose,
            "listing_id": t.listing_id,
            "topics": [] if t.kind in blind else t.topics,
            "priority": t.priority,
            "created_at": t.created_at,
        }
        for t in tasks
    ]


@router.get("/review/stats", summary="Backlog, throughput and agreement", response_model=ReviewStats)
def stats(db_session: DbSession, user: Lead, screener: CurrentScreener) -> Any:
    """Decisions per hour (last 24 h), backlog by kind and topic, Cohen's kappa per topic."""
    return service.stats(db_session, topics=screener.topics, now=_now())


@router.post(
    "/review/evaluation-tasks",
    summary="Create blind review tasks",
    status_code=201,
    response_model=TaskIds,
    responses={404: {"description": "A listing id that is not stored"}},
)
def evaluation_tasks(body: EvaluationTasksIn, db_session: DbSession, user: Lead) -> Any:
    """Tasks for a backtest or experiment: moderators see the listing only."""
    tasks = service.create_evaluation_tasks(
        db_session, listing_ids=body.listing_ids, source=body.source, actor=user.username, now=_now()
    )
    return {"task_ids": [t.id for t in tasks]}


@router.post(
    "/appeals",
    summary="A seller appeals a decision",
    status_code=201,
    response_model=AppealCreated,
    responses={404: {"description": "No such listing"}, 409: {"description": "Nothing to appeal"}},
)
def appeal(body: AppealIn, db_session: DbSession, user: Appealer) -> Any:
    """Creates a task for a moderator other than the one who decided last."""
    task = service.create_appeal(
        db_session, listing_id=body.listing_id, message=body.message, actor=user.username, now=_now()
    )
    return {"task_id": task.id}


@router.get("/audit", summary="The audit log (most recent first)", response_model=list[AuditEntryRead])
def audit(
    db_session: DbSession,
    user: Lead,
    entity: Annotated[Text | None, Query(max_length=64)] = None,
    entity_id: Annotated[Text | None, Query(max_length=128)] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 200,
) -> Any:
    """Who changed what, when, before and after."""
    return [
        {
            "id": e.id,
            "at": e.at,
            "actor": e.actor,
            "action": e.action,
            "entity": e.entity,
            "entity_id": e.entity_id,
            "before": e.before,
            "after": e.after,
        }
        for e in audit_service.get_all(db_session, entity=entity, entity_id=entity_id, limit=limit)
    ]
