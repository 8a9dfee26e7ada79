"""Starting a backtest: replay a candidate bundle over a past window, then sample and create blind tasks.

``start`` works in steps that each commit, so an interrupted run resumes where it stopped:

1. find or create the backtest of (candidate, window) — starting the same one again resumes it;
2. replay the window's listing revisions through the candidate in chunks, storing per revision what
   production did (its screening action's topics and scores, from the stored rows) and what the
   candidate does (its scores and the topics its own thresholds flag);
3. plan, in one transaction: matched-volume thresholds, strata, the sample, and one blind evaluation task
   per sampled listing with its inclusion probability (``source = backtest:<id>``, random priorities so
   tasks come out in random order). After this step starting again creates nothing.

``status`` counts decided tasks; ``report`` (``evaluation.backtest.report``) estimates from the labels.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import numpy as np
from sqlalchemy import Engine, and_, bindparam, func, select, update
from sqlalchemy.orm import Session

from listingguard.audit import service as audit_service
from listingguard.db import insert_statement, session_scope, table_of
from listingguard.errors import Invalid, NotFound
from listingguard.evaluation.backtest import design
from listingguard.evaluation.backtest.models import Backtest, BacktestItem
from listingguard.listings import service as listings_service
from listingguard.listings.batch import ListingBatch
from listingguard.listings.models import ListingRevision
from listingguard.registry.models import Bundle
from listingguard.registry.serving import BundleLoader
from listingguard.review.models import Decision, ReviewTask
from listingguard.screening.models import Action, Prediction
from listingguard.screening.pipeline import Screener

CHUNK = 2000
FLAGGING = ("review", "hide")
Progress = Callable[[int, int], None]


@dataclass(frozen=True, slots=True)
class BacktestRequest:
    """What to backtest: a candidate bundle on ``[window_start, window_end)`` of listing creation time."""

    candidate: Bundle
    window_start: datetime
    window_end: datetime
    label_budget: int = 200
    exploration: int = 200
    seed: int = 0
    shared_topics: bool = False


def topic_mask(topics: Sequence[str], index: dict[str, int]) -> int:
    """The bit mask of ``topics`` over a backtest's topic order (topics outside it are ignored)."""
    mask = 0
    for topic in topics:
        j = index.get(topic)
        if j is not None:
            mask |= 1 << j
    return mask


def masks_to_array(masks: Sequence[int], n_topics: int) -> design.BoolArray:
    """Bit masks to a (listings, topics) boolean array."""
    values = np.asarray(masks, dtype=np.int64)[:, None]
    return ((values >> np.arange(n_topics, dtype=np.int64)) & 1).astype(bool)


def get(db_session: Session, *, backtest_id: int) -> Backtest:
    """The backtest, or :class:`NotFound` saying how to list them."""
    row = db_session.get(Backtest, backtest_id)
    if row is None:
        raise NotFound(f"no backtest {backtest_id}; `listingguard backtest list` shows them")
    return row


def list_backtests(db_session: Session, *, limit: int = 100) -> list[Backtest]:
    """Backtests, newest first."""
    return list(db_session.scalars(select(Backtest).order_by(Backtest.id.desc()).limit(limit)))


def _window_revisions(db_session: Session, start: datetime, end: datetime) -> list[int]:
    """Revisions created in the window that production screened (they have a screening action)."""
    query = (
        select(ListingRevision.id)
        .where(ListingRevision.created_at >= start, ListingRevision.created_at < end)
        .where(select(Action.id).where(Action.revision_id == ListingRevision.id).exists())
        .order_by(ListingRevision.id)
    )
    return list(db_session.scalars(query))


def _served_bundles(db_session: Session, revision_ids: Sequence[int]) -> list[str]:
    """The bundles whose screening actions the window holds (what production was, over the window)."""
    found: set[str] = set()
    for offset in range(0, len(revision_ids), 5000):
        query = (
            select(Action.bundle_id)
            .where(Action.revision_id.in_(revision_ids[offset : offset + 5000]), Action.bundle_id.is_not(None))
            .distinct()
        )
        found.update(str(b) for b in db_session.scalars(query) if b)
    return sorted(found)


def _first_actions(db_session: Session, revision_ids: Sequence[int]) -> dict[int, Action]:
    """Each revision's first action: the screening that served then (later ones are moderators')."""
    first = (
        select(func.min(Action.id).label("id"))
        .where(Action.revision_id.in_(revision_ids))
        .group_by(Action.revision_id)
        .subquery()
    )
    rows = db_session.scalars(select(Action).join(first, Action.id == first.c.id))
    return {a.revision_id: a for a in rows}


def _production_topics(db_session: Session, revision_ids: Sequence[int]) -> set[str]:
    rows = db_session.execute(
        select(Prediction.topic)
        .where(Prediction.revision_id.in_(revision_ids), Prediction.role == "production")
        .distinct()
    )
    return {str(t) for (t,) in rows}


def _find_or_create(
    db_session: Session, request: BacktestRequest, topics: list[str], served: list[str], *, actor: str, now: datetime
) -> tuple[Backtest, bool]:
    existing = db_session.scalars(
        select(Backtest).where(
            Backtest.candidate_bundle == request.candidate.id,
            Backtest.window_start == request.window_start,
            Backtest.window_end == request.window_end,
        )
    ).first()
    if existing is not None:
        return existing, False
    row = Backtest(
        candidate_bundle=request.candidate.id,
        production_bundles=served,
        window_start=request.window_start,
        window_end=request.window_end,
        topics=topics,
        label_budget=request.label_budget,
        exploration=request.exploration,
        seed=request.seed,
        status="replaying",
        listings=0,
        thresholds={},
        plan={},
        created_by=actor,
        created_at=now,
    )
    db_session.add(row)
    db_session.flush()
    audit_service.log(
        db_session,
        actor=actor,
        action="backtest.start",
        entity="backtest",
        entity_id=row.id,
        now=now,
        after={
            "candidate": request.candidate.id,
            "window": [request.window_start.isoformat(), request.window_end.isoformat()],
            "label_budget": request.label_budget,
            "exploration": request.exploration,
            "production": served,
        },
    )
    return row, True


def start(
    engine: Engine,
    *,
    request: BacktestRequest,
    loader: BundleLoader,
    actor: str,
    now: datetime,
    progress: Progress = lambda done, total: None,
) -> tuple[int, bool]:
    """Start (or resume) the backtest of ``request``; returns its id and whether it was created now."""
    if request.window_end <= request.window_start:
        raise Invalid("the window is empty: --to must be after --from")
    with session_scope(engine) as db_session:
        revision_ids = _window_revisions(db_session, request.window_start, request.window_end)
        if not revision_ids:
            raise Invalid(
                f"no screened listings were created between {request.window_start:%Y-%m-%d %H:%M} and "
                f"{request.window_end:%Y-%m-%d %H:%M}; choose a window with traffic"
            )
        served = _served_bundles(db_session, revision_ids)
        if served == [request.candidate.id]:
            raise Invalid(
                f"{request.candidate.id} is the bundle that served this window: a backtest against itself "
                "has nothing to compare; nothing to do"
            )
        candidate = loader.load(db_session, request.candidate)
        production_topics = _production_topics(db_session, revision_ids[: CHUNK * 5]) or set(candidate.topics)
        topics = _compared_topics(candidate, production_topics, shared=request.shared_topics)
        backtest, created = _find_or_create(db_session, request, topics, served, actor=actor, now=now)
        backtest_id = backtest.id
        status = backtest.status
        topics = list(backtest.topics)
    if status != "replaying":
        return backtest_id, False
    _replay(engine, backtest_id, candidate, revision_ids, topics, progress)
    with session_scope(engine) as db_session:
        _plan(db_session, get(db_session, backtest_id=backtest_id), actor=actor, now=now)
    return backtest_id, created


def _compared_topics(candidate: Screener, production: set[str], *, shared: bool) -> list[str]:
    mine = set(candidate.model.topics if candidate.model else candidate.topics)
    if mine == production:
        return sorted(mine)
    only_candidate, only_production = sorted(mine - production), sorted(production - mine)
    common = sorted(mine & production)
    if not shared or not common:
        parts = []
        if only_candidate:
            parts.append(f"only the candidate has {', '.join(only_candidate)}")
        if only_production:
            parts.append(f"only production has {', '.join(only_production)}")
        hint = "pass --shared-topics to compare the shared ones" if common else "they share no topic"
        raise Invalid(f"the candidate's topics differ from production's ({'; '.join(parts)}); {hint}")
    return common


def _replay(
    engine: Engine,
    backtest_id: int,
    candidate: Screener,
    revision_ids: list[int],
    topics: list[str],
    progress: Progress,
) -> None:
    index = {t: j for j, t in enumerate(topics)}
    with session_scope(engine) as db_session:
        done = set(db_session.scalars(select(BacktestItem.revision_id).where(BacktestItem.backtest_id == backtest_id)))
    todo = [r for r in revision_ids if r not in done]
    progress(len(done), len(revision_ids))
    for offset in range(0, len(todo), CHUNK):
        chunk = todo[offset : offset + CHUNK]
        with session_scope(engine) as db_session:
            revisions = list(db_session.scalars(select(ListingRevision).where(ListingRevision.id.in_(chunk))))
            revisions.sort(key=lambda r: r.id)
            actions = _first_actions(db_session, chunk)
            scores = _production_scores(db_session, chunk, index)
            batch = ListingBatch.from_records([listings_service.revision_record(r) for r in revisions])
            results = candidate.screen(batch, explain=False)
            rows = []
            for revision, result in zip(revisions, results, strict=True):
                action = actions.get(revision.id)
                flagged = list(action.topics) if action is not None and action.action in FLAGGING else []
                production_scores = scores.get(revision.id, np.zeros(len(topics), dtype=np.float32))
                candidate_scores = np.asarray(
                    [_candidate_score(result.scores, result.rule_hits, t) for t in topics], dtype=np.float32
                )
                rows.append(
                    {
                        "backtest_id": backtest_id,
                        "revision_id": revision.id,
                        "listing_id": revision.listing_id,
                        "production_mask": topic_mask(flagged, index),
                        "matched_mask": 0,
                        "own_mask": topic_mask(result.topics, index),
                        "scores": np.concatenate([production_scores, candidate_scores]).astype(np.float32).tobytes(),
                        "stratum": None,
                        "sampled": False,
                        "inclusion_probability": None,
                        "task_id": None,
                    }
                )
            db_session.execute(insert_statement(BacktestItem), rows)
            db_session.execute(
                update(Backtest).where(Backtest.id == backtest_id).values(listings=Backtest.listings + len(rows))
            )
        progress(len(done) + offset + len(chunk), len(revision_ids))


def _candidate_score(scores: dict[str, float], hits: Sequence[Any], topic: str) -> float:
    """The candidate's score for a topic; a rule that forces review or hide counts as certainty."""
    if any(h.topic == topic and h.action in FLAGGING for h in hits):
        return 1.0
    return float(scores.get(topic, 0.0))


def _production_scores(db_session: Session, revision_ids: Sequence[int], index: dict[str, int]) -> dict[int, Any]:
    out: dict[int, Any] = {}
    rows = db_session.execute(
        select(Prediction.revision_id, Prediction.topic, Prediction.score, Prediction.fired_rules).where(
            Prediction.revision_id.in_(revision_ids), Prediction.role == "production"
        )
    )
    for revision_id, topic, score, fired in rows:
        j = index.get(topic)
        if j is None:
            continue
        values = out.setdefault(revision_id, np.zeros(len(index), dtype=np.float32))
        values[j] = max(values[j], 1.0 if fired else float(score or 0.0))
    return out


def labels_of(
    db_session: Session, revision_ids: Sequence[int], *, before: datetime | None = None
) -> dict[int, list[str]]:
    """The latest primary or appeal decision's topics per revision (optionally only decisions before a time)."""
    out: dict[int, list[str]] = {}
    ids = list(revision_ids)
    for offset in range(0, len(ids), 5000):
        query = (
            select(Decision.revision_id, Decision.topics)
            .where(Decision.revision_id.in_(ids[offset : offset + 5000]), Decision.purpose.in_(("primary", "appeal")))
            .order_by(Decision.id)
        )
        if before is not None:
            query = query.where(Decision.created_at < before)
        for revision_id, topics in db_session.execute(query):
            out[int(revision_id)] = list(topics)
    return out


def load_items(db_session: Session, backtest: Backtest) -> dict[str, Any]:
    """A backtest's items as arrays (in revision order)."""
    rows = db_session.execute(
        select(
            BacktestItem.revision_id,
            BacktestItem.production_mask,
            BacktestItem.matched_mask,
            BacktestItem.own_mask,
            BacktestItem.scores,
            BacktestItem.stratum,
            BacktestItem.sampled,
            BacktestItem.task_id,
        )
        .where(BacktestItem.backtest_id == backtest.id)
        .order_by(BacktestItem.revision_id)
    ).all()
    t = len(backtest.topics)
    scores = np.frombuffer(b"".join(r.scores for r in rows), dtype=np.float32).reshape(len(rows), 2 * t)
    return {
        "revision_ids": [int(r.revision_id) for r in rows],
        "production": masks_to_array([r.production_mask for r in rows], t),
        "matched": masks_to_array([r.matched_mask for r in rows], t),
        "own": masks_to_array([r.own_mask for r in rows], t),
        "production_scores": scores[:, :t].astype(np.float64),
        "candidate_scores": scores[:, t:].astype(np.float64),
        "strata": np.asarray([-2 if r.stratum is None else r.stratum for r in rows], dtype=np.int64),
        "sampled": np.asarray([bool(r.sampled) for r in rows], dtype=bool),
        "task_ids": [r.task_id for r in rows],
    }


def _plan(db_session: Session, backtest: Backtest, *, actor: str, now: datetime) -> None:
    """Thresholds, strata, sample and blind tasks, in the caller's one transaction."""
    items = load_items(db_session, backtest)
    topics = list(backtest.topics)
    thresholds = design.matched_thresholds(items["candidate_scores"], items["production"])
    matched = items["candidate_scores"] >= thresholds[None, :]
    decided = labels_of(db_session, items["revision_ids"], before=now)
    labelled = np.asarray([r in decided for r in items["revision_ids"]], dtype=bool)
    top = np.maximum(items["production_scores"], items["candidate_scores"]).max(axis=1, initial=0.0)
    strata = design.assign_strata(items["production"], [matched, items["own"]], labelled, top)
    the_plan = design.plan(strata, top, label_budget=backtest.label_budget, exploration=backtest.exploration)
    rng = np.random.default_rng(backtest.seed)
    sampled = design.draw(strata, the_plan, rng)
    chosen = [int(i) for i in np.flatnonzero(sampled)]
    random.Random(backtest.seed).shuffle(chosen)  # creation order carries no stratum
    revision_ids = items["revision_ids"]
    revisions = (
        {
            r.id: r
            for r in db_session.scalars(
                select(ListingRevision).where(ListingRevision.id.in_([revision_ids[i] for i in chosen]))
            )
        }
        if chosen
        else {}
    )
    order = random.Random(backtest.seed + 1)
    tasks: list[tuple[int, ReviewTask]] = []
    for i in chosen:
        revision = revisions[revision_ids[i]]
        task = ReviewTask(
            revision_id=revision.id,
            listing_id=revision.listing_id,
            kind="evaluation",
            purpose="primary",
            topics=[],
            topics_key="",
            priority=0.45 + 0.1 * order.random(),  # random order among themselves, mid-queue among the rest
            inclusion_probability=the_plan.inclusion_probability(int(strata[i])),
            source=f"backtest:{backtest.id}",
            status="open",
            created_at=now,
        )
        db_session.add(task)
        tasks.append((i, task))
    db_session.flush()
    by_index: dict[int, ReviewTask] = dict(tasks)
    index = {t: j for j, t in enumerate(topics)}
    updates = []
    for position, revision_id in enumerate(revision_ids):
        item_task = by_index.get(position)
        updates.append(
            {
                "b_backtest_id": backtest.id,
                "b_revision_id": revision_id,
                "matched_mask": topic_mask([t for j, t in enumerate(topics) if matched[position, j]], index),
                "stratum": int(strata[position]),
                "sampled": item_task is not None,
                "inclusion_probability": item_task.inclusion_probability if item_task is not None else None,
                "task_id": item_task.id if item_task is not None else None,
            }
        )
    table = table_of(BacktestItem)

    db_session.execute(
        update(table)
        .where(
            and_(table.c.backtest_id == bindparam("b_backtest_id"), table.c.revision_id == bindparam("b_revision_id"))
        )
        .values(
            matched_mask=bindparam("matched_mask"),
            stratum=bindparam("stratum"),
            sampled=bindparam("sampled"),
            inclusion_probability=bindparam("inclusion_probability"),
            task_id=bindparam("task_id"),
        ),
        updates,
    )
    backtest.thresholds = {
        t: (None if not np.isfinite(v) else float(v)) for t, v in zip(topics, thresholds, strict=True)
    }
    backtest.plan = {
        "populations": {design.stratum_name(c): n for c, n in the_plan.populations.items()},
        "sizes": {design.stratum_name(c): n for c, n in the_plan.sizes.items()},
        "labelled_before": int(labelled.sum()),
        "tasks": len(tasks),
    }
    backtest.status = "labelling"
    backtest.planned_at = now
    audit_service.log(
        db_session,
        actor=actor,
        action="backtest.plan",
        entity="backtest",
        entity_id=backtest.id,
        now=now,
        after={"tasks": len(tasks), "sizes": backtest.plan["sizes"]},
    )


def progress_of(db_session: Session, backtest: Backtest) -> dict[str, int]:
    """Evaluation tasks created and decided so far."""
    created = db_session.scalar(
        select(func.count())
        .select_from(BacktestItem)
        .where(BacktestItem.backtest_id == backtest.id, BacktestItem.sampled)
    )
    decided = db_session.scalar(
        select(func.count())
        .select_from(BacktestItem)
        .join(Decision, Decision.task_id == BacktestItem.task_id)
        .where(BacktestItem.backtest_id == backtest.id)
    )
    return {"tasks": int(created or 0), "decided": int(decided or 0)}
