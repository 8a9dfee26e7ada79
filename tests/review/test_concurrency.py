"""Twenty moderators working one queue of 10,000 tasks at once on PostgreSQL (FOR UPDATE SKIP LOCKED).

Every task must be decided exactly once: none decided twice, none lost.
"""

import threading
from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, insert, select

from listingguard.db import get_engine, session_scope, table_of
from listingguard.listings.models import Listing, ListingRevision
from listingguard.policy.schemas import SamplingPolicy
from listingguard.review import service
from listingguard.review.models import Decision, ReviewTask
from listingguard.users.models import User
from tests.conftest import drop_postgres, fresh_postgres, make_user

N_TASKS = 10_000
N_REVIEWERS = 20
NOW = datetime(2026, 11, 27, tzinfo=UTC)


def seed_tasks(url: str) -> None:
    with session_scope(get_engine(url)) as session:
        session.execute(
            insert(table_of(Listing)),
            [
                {"id": f"c{i}", "seller_id": "s", "current_revision": 1, "first_seen_at": NOW, "updated_at": NOW}
                for i in range(N_TASKS)
            ],
        )
        session.execute(
            insert(table_of(ListingRevision)),
            [
                {
                    "listing_id": f"c{i}",
                    "revision": 1,
                    "content_hash": "x",
                    "title": f"t{i}",
                    "description": "",
                    "price": 1000.0,
                    "currency": "JPY",
                    "category": "bags",
                    "seller_id": "s",
                    "image_refs": [],
                    "created_at": NOW,
                    "received_at": NOW,
                }
                for i in range(N_TASKS)
            ],
        )
        ids = dict(session.execute(select(ListingRevision.listing_id, ListingRevision.id)).all())
        session.execute(
            insert(table_of(ReviewTask)),
            [
                {
                    "revision_id": ids[f"c{i}"],
                    "listing_id": f"c{i}",
                    "kind": "enforcement",
                    "purpose": "primary",
                    "topics": ["counterfeit"],
                    "topics_key": ",counterfeit,",
                    "priority": (i % 97) / 97,
                    "inclusion_probability": 1.0,
                    "source": "test",
                    "status": "open",
                    "created_at": NOW,
                }
                for i in range(N_TASKS)
            ],
        )


@pytest.mark.slow
@pytest.mark.postgres_only
def test_twenty_reviewers_decide_every_task_exactly_once(request: pytest.FixtureRequest) -> None:
    url = fresh_postgres(request.getfixturevalue("_postgres_template"))
    try:
        seed_tasks(url)
        for r in range(N_REVIEWERS):
            make_user(url, f"r{r}", "moderator")
        decided: Counter[int] = Counter()
        errors: list[BaseException] = []
        lock = threading.Lock()
        no_second = SamplingPolicy(second_review_rate=0.0)

        def reviewer(name: str) -> None:
            try:
                engine = get_engine(url)
                while True:
                    with session_scope(engine) as session:
                        me = session.scalars(select(User).where(User.username == name)).one()
                        now = datetime.now(UTC)
                        task = service.claim_next(session, reviewer=me, now=now, lease=timedelta(minutes=5))
                        if task is None:
                            return
                        service.decide(
                            session,
                            task_id=task.id,
                            reviewer=me,
                            claim_token=task.claim_token,
                            topics=["counterfeit"],
                            note=None,
                            known_topics=["counterfeit"],
                            sampling_policy=no_second,
                            now=now,
                        )
                    with lock:
                        decided[task.id] += 1
            except BaseException as exc:
                errors.append(exc)

        threads = [threading.Thread(target=reviewer, args=(f"r{r}",)) for r in range(N_REVIEWERS)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert not errors, errors[:3]
        assert len(decided) == N_TASKS and max(decided.values()) == 1
        with session_scope(get_engine(url)) as session:
            assert session.scalar(select(func.count()).select_from(Decision)) == N_TASKS
            assert session.scalar(select(func.count(func.distinct(Decision.task_id)))) == N_TASKS
            assert (
                session.scalar(select(func.count()).select_from(ReviewTask).where(ReviewTask.status != "decided")) == 0
            )
            per_reviewer = session.execute(
                select(Decision.reviewer_id, func.count()).group_by(Decision.reviewer_id)
            ).all()
        assert len(per_reviewer) == N_REVIEWERS  # the work really was shared
    finally:
        drop_postgres(url)
