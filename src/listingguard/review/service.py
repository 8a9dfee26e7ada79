"""The review queue: creating tasks, claiming them with a lease, deciding, appeals and second reviews.

Claiming is safe under concurrency on both databases. On PostgreSQL the next task is selected with
``FOR UPDATE SKIP LOCKED``, so twenty moderators claiming at once each get a different task without
waiting on each other. On SQLite every transaction holds the write lock (see ``db._sqlite_begin``), so
claims simply queue. A claim is a lease: if the moderator's browser closes, the lease expires and the
task is claimable again. A decision must present the claim token of its lease, and one task can only
ever have one decision (a unique constraint), so a task is never decided twice and a duplicate submit of
the same decision returns the first one instead of counting twice.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from listingguard.audit import service as audit_service
from listingguard.db import insert_returning_ids
from listingguard.errors import Conflict, Invalid, NotFound
from listingguard.inputs import MAX_DB_INT, MAX_MINUTES, check_text
from listingguard.listings import service as listings_service
from listingguard.listings.models import Listing, ListingRevision
from listingguard.policy.schemas import SamplingPolicy
from listingguard.review import sampling
from listingguard.review.agreement import agreement
from listingguard.review.models import TASK_KINDS, Decision, ReviewTask
from listingguard.screening import service as screening_service
from listingguard.screening.pipeline import ScreeningResult
from listingguard.users.models import User

DEFAULT_LEASE = timedelta(minutes=5)
APPEAL_PRIORITY = 2.0  # above any severity x probability (at most 1): appeals are answered first


@dataclass(frozen=True, slots=True)
class QueueFilter:
    """Which tasks a moderator wants: by kind, suspected topic, and age in minutes."""

    kinds: tuple[str, ...] = ()
    topic: str | None = None
    older_than_minutes: int | None = None
    newer_than_minutes: int | None = None

    def validate(self, known_topics: Sequence[str]) -> QueueFilter:
        for kind in self.kinds:
            if kind not in TASK_KINDS:
                raise Invalid(f"unknown task kind {kind!r}; choose from {', '.join(TASK_KINDS)}")
        if self.topic is not None and self.topic not in known_topics:
            raise Invalid(f"unknown topic {self.topic!r}; known topics: {', '.join(known_topics)}")
        for name, minutes in (("older_than", self.older_than_minutes), ("newer_than", self.newer_than_minutes)):
            if minutes is not None and not 0 <= minutes <= MAX_MINUTES:  # the UI's filters arrive unchecked
                raise Invalid(f"{name}: give an age from 0 to {MAX_MINUTES} minutes (a year), not {minutes}")
        return self


def _topics_key(topics: Sequence[str]) -> str:
    return "," + ",".join(sorted(topics)) + "," if topics else ""


# -- creating tasks -----------------------------------------------------------------------------------
def _cancel_open_for_listing(db_session: Session, *, listing_id: str, now: datetime) -> None:
    """A new revision supersedes tasks for older ones (moderators review what the seller shows now)."""
    stale = db_session.scalars(
        select(ReviewTask).where(
            ReviewTask.listing_id == listing_id,
            ReviewTask.status.in_(("open", "claimed")),
            ReviewTask.purpose == "primary",
        )
    ).all()
    for task in stale:
        before = {"status": task.status, "claimed_by": task.claimed_by}  # a claimed task is cancelled too
        task.status = "cancelled"
        audit_service.log(
            db_session,
            actor="system",
            action="task.cancel",
            entity="review_task",
            entity_id=task.id,
            now=now,
            before=before,
            after={"status": "cancelled", "why": "listing revised"},
        )


def create_for_screening(
    db_session: Session,
    *,
    revisions: Sequence[ListingRevision],
    results: Sequence[ScreeningResult],
    sampling_policy: SamplingPolicy,
    now: datetime,
) -> list[int]:
    """Enforcement tasks for flagged listings, exploration tasks for a random sample of allowed ones.

    Returns the new task ids. Rows are bulk-inserted because this runs on the per-listing HTTP path.
    """
    rows: list[dict[str, Any]] = []
    for revision, result in zip(revisions, results, strict=True):
        if revision.revision > 1:
            _cancel_open_for_listing(db_session, listing_id=revision.listing_id, now=now)
        row: dict[str, Any] = {
            "revision_id": revision.id,
            "listing_id": revision.listing_id,
            "purpose": "primary",
            "status": "open",
            "created_at": now,
        }
        if result.action != "allow":
            row.update(
                kind="enforcement",
                topics=result.topics,
                topics_key=_topics_key(result.topics),
                priority=result.priority,
                inclusion_probability=1.0,
                source="screening",
            )
        else:
            top = max(result.scores.values(), default=0.0)
            pi = sampling.exploration_probability(top, sampling_policy)
            if not sampling.explore(revision.listing_id, revision.revision, pi):
                continue
            row.update(
                kind="exploration",
                topics=[],
                topics_key="",
                priority=0.0,
                inclusion_probability=pi,
                source="exploration",
            )
        rows.append(row)
    if not rows:
        return []
    defaults = {
        "claimed_by": None,
        "claim_token": None,
        "lease_expires_at": None,
        "excluded_user_id": None,
        "parent_task_id": None,
        "message": None,
        "decided_at": None,
    }
    return insert_returning_ids(db_session, ReviewTask, [{**defaults, **r} for r in rows])


def create_evaluation_tasks(
    db_session: Session, *, listing_ids: Sequence[str], source: str, actor: str, now: datetime
) -> list[ReviewTask]:
    """Blind review tasks (no scores or model shown) for a backtest or experiment."""
    if not listing_ids:
        raise Invalid("give at least one listing id")
    revisions = _current_revisions(db_session, listing_ids)
    tasks = []
    for listing_id in listing_ids:
        revision = revisions[listing_id]
        task = ReviewTask(
            revision_id=revision.id,
            listing_id=listing_id,
            kind="evaluation",
            purpose="primary",
            topics=[],
            topics_key="",
            priority=0.5,
            inclusion_probability=1.0,
            source=source[:64],
            status="open",
            created_at=now,
        )
        db_session.add(task)
        tasks.append(task)
    db_session.flush()
    for task in tasks:
        audit_service.log(
            db_session,
            actor=actor,
            action="task.create",
            entity="review_task",
            entity_id=task.id,
            now=now,
            after={"kind": "evaluation", "source": task.source, "listing_id": task.listing_id},
        )
    return tasks


def _current_revisions(db_session: Session, listing_ids: Sequence[str]) -> dict[str, ListingRevision]:
    out = {}
    for listing_id in listing_ids:
        revision = listings_service.get_current_revision(db_session, listing_id=listing_id)
        if revision is None:
            raise NotFound(f"no listing with id {listing_id!r}")
        out[listing_id] = revision
    return out


def create_appeal(db_session: Session, *, listing_id: str, message: str, actor: str, now: datetime) -> ReviewTask:
    """A seller's appeal: a new task for a moderator other than the one who decided last."""
    revision = _current_revisions(db_session, [listing_id])[listing_id]
    # One appeal at a time per listing: concurrent appeals queue on the listing's row, so the check for
    # a pending appeal below sees the one just created (on SQLite the write lock already serialises them).
    db_session.execute(select(Listing.id).where(Listing.id == listing_id).with_for_update())
    last = db_session.scalars(
        select(Decision).where(Decision.listing_id == listing_id).order_by(Decision.id.desc()).limit(1)
    ).first()
    pending = db_session.scalars(
        select(ReviewTask).where(
            ReviewTask.listing_id == listing_id,
            ReviewTask.purpose == "appeal",
            ReviewTask.status.in_(("open", "claimed")),
        )
    ).first()
    if pending is not None:
        raise Conflict(f"listing {listing_id!r} already has an open appeal (task {pending.id})")
    task = ReviewTask(
        revision_id=revision.id,
        listing_id=listing_id,
        kind="enforcement",
        purpose="appeal",
        topics=last.topics if last else [],
        topics_key=_topics_key(last.topics if last else []),
        priority=APPEAL_PRIORITY,
        inclusion_probability=1.0,
        source="appeal",
        status="open",
        excluded_user_id=last.reviewer_id if last else None,
        parent_task_id=last.task_id if last else None,
        message=message,
        created_at=now,
    )
    db_session.add(task)
    db_session.flush()
    audit_service.log(
        db_session,
        actor=actor,
        action="appeal.create",
        entity="review_task",
        entity_id=task.id,
        now=now,
        after={"listing_id": listing_id, "message": message[:500], "excluded_reviewer": task.excluded_user_id},
    )
    return task


# -- claiming -----------------------------------------------------------------------------------------
def _claimable(now: datetime) -> ColumnElement[bool]:
    # The IN clause matches the partial index ix_review_tasks_claimable, so the planner can walk it in
    # hand-out order; the OR then keeps open tasks and claimed ones whose lease has run out.
    return and_(
        ReviewTask.status.in_(("open", "claimed")),
        or_(ReviewTask.status == "open", ReviewTask.lease_expires_at < now),
    )


def _filtered(query: Any, reviewer: User, flt: QueueFilter, now: datetime) -> Any:
    query = query.where(or_(ReviewTask.excluded_user_id.is_(None), ReviewTask.excluded_user_id != reviewer.id))
    if flt.kinds:
        query = query.where(ReviewTask.kind.in_(flt.kinds))
    if flt.topic:
        query = query.where(ReviewTask.topics_key.like(f"%,{flt.topic},%"))
    if flt.older_than_minutes is not None:
        query = query.where(ReviewTask.created_at <= now - timedelta(minutes=flt.older_than_minutes))
    if flt.newer_than_minutes is not None:
        query = query.where(ReviewTask.created_at >= now - timedelta(minutes=flt.newer_than_minutes))
    return query


def claim_next(
    db_session: Session,
    *,
    reviewer: User,
    flt: QueueFilter = QueueFilter(),
    now: datetime,
    lease: timedelta = DEFAULT_LEASE,
    passing_over: Sequence[int] = (),
) -> ReviewTask | None:
    """Lease the most urgent task this reviewer may take (highest priority, then oldest), or None.

    ``passing_over`` names tasks not to hand out this time (the one just skipped, which would otherwise
    come straight back when it is the most urgent).

    One statement picks and takes the task, and returns its state before and after:
    ``UPDATE review_tasks SET … FROM (SELECT … LIMIT 1 FOR UPDATE SKIP LOCKED) AS picked … RETURNING``.
    On PostgreSQL concurrent claimers skip each other's rows instead of queueing behind them; on SQLite
    the write transaction (``BEGIN IMMEDIATE``) already serialises claimers.
    """
    pick = _filtered(
        select(ReviewTask.id, ReviewTask.status, ReviewTask.claimed_by).where(_claimable(now)), reviewer, flt, now
    )
    if passing_over:
        pick = pick.where(ReviewTask.id.not_in(list(passing_over)))
    pick = pick.order_by(ReviewTask.priority.desc(), ReviewTask.created_at, ReviewTask.id).limit(1)
    return _claim(db_session, pick, reviewer=reviewer, now=now, lease=lease)


def claim_task(
    db_session: Session, *, task_id: int, reviewer: User, now: datetime, lease: timedelta = DEFAULT_LEASE
) -> ReviewTask:
    """Lease one chosen task (a row clicked in the queue), or :class:`Conflict` if it cannot be had now."""
    pick = _filtered(
        select(ReviewTask.id, ReviewTask.status, ReviewTask.claimed_by).where(
            ReviewTask.id == task_id, _claimable(now)
        ),
        reviewer,
        QueueFilter(),
        now,
    )
    task = _claim(db_session, pick, reviewer=reviewer, now=now, lease=lease)
    if task is not None:
        return task
    current = get_or_raise(db_session, task_id=task_id)
    if current.status == "claimed" and current.claimed_by == reviewer.id:
        return current  # already yours (a second click on the row): keep the lease you have
    if current.excluded_user_id == reviewer.id and current.status in ("open", "claimed"):
        raise Conflict(f"task {task_id} is for another moderator (it reviews your own decision); take the next task")
    state = "taken by another moderator" if current.status == "claimed" else current.status
    raise Conflict(f"task {task_id} is {state}; nothing was claimed. Take the next task.")


def _claim(db_session: Session, pick: Any, *, reviewer: User, now: datetime, lease: timedelta) -> ReviewTask | None:
    """Take the task ``pick`` selects (columns id, status, claimed_by) in one statement; audit the claim."""
    if db_session.get_bind().dialect.name == "postgresql":
        pick = pick.with_for_update(skip_locked=True)
    picked = pick.subquery("picked")
    row = db_session.execute(
        update(ReviewTask)
        .where(ReviewTask.id == picked.c.id)
        .values(status="claimed", claimed_by=reviewer.id, claim_token=str(uuid.uuid4()), lease_expires_at=now + lease)
        .returning(ReviewTask, picked.c.status, picked.c.claimed_by)
        .execution_options(populate_existing=True)
    ).first()
    if row is None:
        return None
    task, before_status, before_holder = row
    audit_service.log(
        db_session,
        actor=reviewer.username,
        action="task.claim",
        entity="review_task",
        entity_id=task.id,
        now=now,
        before={"status": before_status, "claimed_by": before_holder},
        after={
            "status": "claimed",
            "lease_expires_at": task.lease_expires_at.isoformat() if task.lease_expires_at else None,
        },
    )
    return task


def get(db_session: Session, *, task_id: int) -> ReviewTask | None:
    """The task with this id, or None (also for an id no database integer can hold, e.g. from a URL)."""
    if not 1 <= task_id <= MAX_DB_INT:
        return None
    return db_session.get(ReviewTask, task_id)


def get_or_raise(db_session: Session, *, task_id: int) -> ReviewTask:
    """The task with this id, or :class:`NotFound`."""
    task = get(db_session, task_id=task_id)
    if task is None:
        raise NotFound(f"no review task {task_id}")
    return task


def _held_by(task: ReviewTask, reviewer: User, claim_token: str) -> bool:
    return task.status == "claimed" and task.claimed_by == reviewer.id and task.claim_token == claim_token


def _not_held(task: ReviewTask, reviewer: User, *, nothing: str) -> Conflict:
    """What happened when ``reviewer`` acts on ``task`` without holding it under the token they sent."""
    if task.status == "claimed" and task.claimed_by == reviewer.id:
        return Conflict(
            f"wrong claim token for task {task.id}: you hold its lease, but under another claim token "
            f"(from a later claim, or another tab). Send the claim_token of your current claim. {nothing}"
        )
    if task.status == "claimed":
        return Conflict(
            f"you no longer hold task {task.id}: another moderator holds it now (if it was yours, your lease "
            f"expired and it was handed out again). {nothing} Take the next task."
        )
    if task.status == "open":
        return Conflict(
            f"you do not hold task {task.id}: it is back in the queue (skipped, or your lease expired). "
            f"{nothing} Claim it again or take the next task."
        )
    return Conflict(f"task {task.id} is {task.status}. {nothing} Take the next task.")


def release(db_session: Session, *, task_id: int, reviewer: User, claim_token: str, now: datetime) -> ReviewTask:
    """Give a claimed task back to the queue (skip)."""
    task = _locked(db_session, task_id)
    if not _held_by(task, reviewer, claim_token):
        raise _not_held(task, reviewer, nothing="Nothing was released.")
    task.status = "open"
    task.claimed_by = None
    task.claim_token = None
    task.lease_expires_at = None
    audit_service.log(
        db_session,
        actor=reviewer.username,
        action="task.release",
        entity="review_task",
        entity_id=task.id,
        now=now,
        before={"status": "claimed"},
        after={"status": "open"},
    )
    return task


def _locked(db_session: Session, task_id: int) -> ReviewTask:
    task = db_session.get(ReviewTask, task_id, with_for_update=True)
    if task is None:
        raise NotFound(f"no review task {task_id}")
    return task


# -- deciding -----------------------------------------------------------------------------------------
def decide(
    db_session: Session,
    *,
    task_id: int,
    reviewer: User,
    claim_token: str,
    topics: Sequence[str],
    note: str | None,
    known_topics: Sequence[str],
    sampling_policy: SamplingPolicy,
    now: datetime,
) -> Decision:
    """Record a verdict (violated topics, or none for ``ok``) and apply it.

    A repeated submit of the same verdict under the same claim returns the recorded decision unchanged.
    Primary and appeal decisions enforce: ``ok`` restores a hidden listing, a violation hides it.
    """
    check_text("claim_token", claim_token)  # the UI's form fields arrive unchecked (the API's are typed)
    check_text("note", note)
    verdict = sorted(set(topics))
    unknown = [t for t in verdict if t not in known_topics]
    if unknown:
        raise Invalid(f"unknown topic(s) {', '.join(unknown)}; known topics: {', '.join(known_topics)}")
    if note is not None and len(note) > 2000:
        raise Invalid("the note is longer than 2000 characters")
    task = _locked(db_session, task_id)
    existing = db_session.scalars(select(Decision).where(Decision.task_id == task_id)).first()
    if existing is not None:
        if existing.reviewer_id == reviewer.id and existing.claim_token == claim_token and existing.topics == verdict:
            return existing  # the same submit again (double click, retry after a timeout)
        raise Conflict(f"task {task_id} was already decided (decision {existing.id}); nothing was changed")
    if task.status == "cancelled":
        raise Conflict(f"task {task_id} was cancelled because the listing changed; take the next task")
    if not _held_by(task, reviewer, claim_token):
        raise _not_held(task, reviewer, nothing="Nothing was saved.")
    decision = Decision(
        task_id=task.id,
        revision_id=task.revision_id,
        listing_id=task.listing_id,
        reviewer_id=reviewer.id,
        topics=verdict,
        ok=not verdict,
        note=note or None,
        kind=task.kind,
        purpose=task.purpose,
        inclusion_probability=task.inclusion_probability,
        claim_token=claim_token,
        created_at=now,
    )
    db_session.add(decision)
    try:
        db_session.flush()
    except IntegrityError:
        # Unreachable while the task row is locked above, kept as the last line of defence (the unique
        # task_id). The request's transaction is rolled back as a whole, so no savepoint is needed.
        raise Conflict(f"task {task_id} was decided by a concurrent request; nothing was changed") from None
    before = {"status": task.status}
    task.status = "decided"
    task.decided_at = now
    task.lease_expires_at = None
    audit_service.log(
        db_session,
        actor=reviewer.username,
        action="task.decide",
        entity="review_task",
        entity_id=task.id,
        now=now,
        before=before,
        after={"status": "decided", "decision_id": decision.id, "topics": verdict, "ok": not verdict},
    )
    if task.purpose in ("primary", "appeal"):
        _enforce(db_session, task=task, decision=decision, actor=reviewer.username, now=now)
    if task.purpose == "primary" and sampling.second_review(task.id, sampling_policy.second_review_rate):
        second = ReviewTask(
            revision_id=task.revision_id,
            listing_id=task.listing_id,
            kind=task.kind,
            purpose="second_review",
            topics=task.topics,
            topics_key=task.topics_key,
            priority=task.priority,
            inclusion_probability=task.inclusion_probability,
            source="second_review",
            status="open",
            excluded_user_id=reviewer.id,
            parent_task_id=task.id,
            created_at=now,
        )
        db_session.add(second)
    db_session.flush()
    return decision


def _enforce(db_session: Session, *, task: ReviewTask, decision: Decision, actor: str, now: datetime) -> None:
    latest = screening_service.latest_action(db_session, revision_id=task.revision_id)
    current = latest.action if latest else "allow"
    if decision.ok and current == "hide":
        new_action, topics, what = "allow", [], "restored: a moderator decided the listing is fine"
    elif not decision.ok and current != "hide":
        new_action, topics, what = (
            "hide",
            decision.topics,
            f"hidden: a moderator confirmed {', '.join(decision.topics)}",
        )
    else:
        return
    screening_service.record_moderation(
        db_session,
        revision_id=task.revision_id,
        listing_id=task.listing_id,
        action=new_action,
        topics=topics,
        reason=what,
        decision_id=decision.id,
        previous=latest,
        now=now,
    )
    audit_service.log(
        db_session,
        actor=actor,
        action=f"listing.{'restore' if new_action == 'allow' else 'hide'}",
        entity="listing",
        entity_id=task.listing_id,
        now=now,
        before={"action": current},
        after={"action": new_action, "decision_id": decision.id},
    )


# -- reading ------------------------------------------------------------------------------------------
def get_queue(
    db_session: Session, *, reviewer: User, flt: QueueFilter = QueueFilter(), now: datetime, limit: int = 100
) -> list[ReviewTask]:
    """Claimable tasks in the order they would be handed out."""
    query = _filtered(select(ReviewTask).where(_claimable(now)), reviewer, flt, now)
    query = query.order_by(ReviewTask.priority.desc(), ReviewTask.created_at, ReviewTask.id).limit(limit)
    return list(db_session.scalars(query))


def backlog(db_session: Session, *, now: datetime) -> dict[str, Any]:
    """Claimable tasks by kind and by suspected topic."""
    rows = db_session.execute(select(ReviewTask.kind, ReviewTask.topics).where(_claimable(now))).all()
    by_kind: dict[str, int] = {}
    by_topic: dict[str, int] = {}
    for kind, topics in rows:
        by_kind[kind] = by_kind.get(kind, 0) + 1
        for topic in topics or ["(none)"]:
            by_topic[topic] = by_topic.get(topic, 0) + 1
    return {"total": len(rows), "by_kind": by_kind, "by_topic": dict(sorted(by_topic.items()))}


def decisions_per_hour(db_session: Session, *, now: datetime, hours: int = 24) -> list[dict[str, Any]]:
    """Decisions in each of the last ``hours`` hours (oldest first)."""
    since = now - timedelta(hours=hours)
    stamps = db_session.scalars(select(Decision.created_at).where(Decision.created_at >= since)).all()
    counts = [0] * hours
    for stamp in stamps:
        if stamp.tzinfo is None:
            stamp = stamp.replace(tzinfo=now.tzinfo)
        index = hours - 1 - int((now - stamp).total_seconds() // 3600)
        if 0 <= index < hours:
            counts[index] += 1
    return [
        {"hour": (now - timedelta(hours=hours - 1 - i)).strftime("%m-%d %H:00"), "decisions": c}
        for i, c in enumerate(counts)
    ]


def decision_pairs(db_session: Session) -> list[tuple[Decision, Decision]]:
    """(first decision, second-review decision) pairs for agreement."""
    second = db_session.scalars(
        select(Decision)
        .join(ReviewTask, ReviewTask.id == Decision.task_id)
        .where(ReviewTask.purpose == "second_review")
    ).all()
    pairs = []
    for decision in second:
        parent_id = db_session.scalar(select(ReviewTask.parent_task_id).where(ReviewTask.id == decision.task_id))
        first = db_session.scalars(select(Decision).where(Decision.task_id == parent_id)).first()
        if first is not None:
            pairs.append((first, decision))
    return pairs


def count_decisions(db_session: Session) -> int:
    """All decisions ever recorded."""
    return int(db_session.scalar(select(func.count()).select_from(Decision)) or 0)


def stats(db_session: Session, *, topics: Sequence[str], now: datetime) -> dict[str, Any]:
    """What the stats page and ``GET /v1/review/stats`` show: backlog, throughput, agreement per topic."""
    return {
        "backlog": backlog(db_session, now=now),
        "decisions_per_hour": decisions_per_hour(db_session, now=now),
        "decisions_total": count_decisions(db_session),
        "agreement": agreement(decision_pairs(db_session), topics),
    }
