"""Mutants of ``review/service.py`` the mutation benchmark found alive, killed.

The queue filter's checks and messages, the fields every new task is written with (its kind, source,
inclusion probability and topic key are what estimates and filters read later), the exploration draw's
direction, and the audit entry a superseded task leaves.
"""

from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from listingguard.audit.models import AuditEntry
from listingguard.db import get_engine, session_scope
from listingguard.errors import Invalid
from listingguard.inputs import MAX_MINUTES
from listingguard.listings.models import ListingRevision
from listingguard.policy.schemas import SamplingPolicy
from listingguard.review import service
from listingguard.review.models import ReviewTask
from listingguard.screening.pipeline import ScreeningResult
from tests.conftest import listing
from tests.review.test_service import TOPICS, ingest

NOW = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)


class TestQueueFilter:
    def test_a_valid_filter_is_returned_as_is(self) -> None:
        f = service.QueueFilter(
            kinds=("enforcement",), topic="drugs", older_than_minutes=0, newer_than_minutes=MAX_MINUTES
        )
        assert f.validate(TOPICS) is f
        assert service.QueueFilter().topic is None

    def test_unknown_kind_names_the_choices(self) -> None:
        with pytest.raises(Invalid) as caught:
            service.QueueFilter(kinds=("enforcement", "nonsense")).validate(TOPICS)
        assert str(caught.value).startswith("unknown task kind 'nonsense'; choose from enforcement, ")

    def test_unknown_topic_names_the_known_ones(self) -> None:
        with pytest.raises(Invalid) as caught:
            service.QueueFilter(topic="guns").validate(TOPICS)
        assert str(caught.value) == f"unknown topic 'guns'; known topics: {', '.join(TOPICS)}"

    @pytest.mark.parametrize("field", ["older_than", "newer_than"])
    @pytest.mark.parametrize("minutes", [-1, MAX_MINUTES + 1])
    def test_ages_outside_a_year_are_refused(self, field: str, minutes: int) -> None:
        with pytest.raises(Invalid) as caught:
            service.QueueFilter(**{f"{field}_minutes": minutes}).validate(TOPICS)
        assert str(caught.value) == f"{field}: give an age from 0 to {MAX_MINUTES} minutes (a year), not {minutes}"

    @pytest.mark.parametrize("minutes", [0, 1, MAX_MINUTES])
    def test_ages_at_the_bounds_are_accepted(self, minutes: int) -> None:
        service.QueueFilter(older_than_minutes=minutes, newer_than_minutes=minutes).validate(TOPICS)


def result(listing_id: str, action: str, topics: list[str], scores: dict[str, float]) -> ScreeningResult:
    return ScreeningResult(listing_id, action, topics, scores, [], [], 0.7, "m", "r", "p")


def tasks_after(url: str, screener, results: list[ScreeningResult], sampling: SamplingPolicy) -> list[ReviewTask]:
    """Store the listings, then create tasks for them from hand-made screening results."""
    ingest(url, screener, *(listing(id=r.listing_id, title="木製 本棚", category="furniture") for r in results))
    with session_scope(get_engine(url)) as session:
        for task in session.scalars(select(ReviewTask)):
            session.delete(task)  # whatever the real screening created; only the hand-made results count
        session.flush()
        revisions = [
            session.scalars(select(ListingRevision).where(ListingRevision.listing_id == r.listing_id)).one()
            for r in results
        ]
        ids = service.create_for_screening(
            session, revisions=revisions, results=results, sampling_policy=sampling, now=NOW
        )
        tasks = list(session.scalars(select(ReviewTask).where(ReviewTask.id.in_(ids)).order_by(ReviewTask.id)))
        session.expunge_all()
        return tasks


class TestCreatedTasks:
    def test_an_enforcement_task_carries_its_topics_priority_and_certain_inclusion(
        self, database_url: str, screener
    ) -> None:
        (task,) = tasks_after(
            database_url,
            screener,
            [result("e1", "review", ["drugs", "counterfeit"], {"drugs": 0.6})],
            SamplingPolicy(exploration_base_rate=0.0, exploration_boost=0.0),
        )
        assert (task.kind, task.source, task.purpose, task.status) == ("enforcement", "screening", "primary", "open")
        assert task.topics_key == ",counterfeit,drugs,"
        assert task.inclusion_probability == 1.0
        assert task.priority == pytest.approx(0.7)

    def test_an_allowed_listing_drawn_for_exploration_keeps_its_probability(self, database_url: str, screener) -> None:
        (task,) = tasks_after(
            database_url,
            screener,
            [result("x1", "allow", [], {"drugs": 0.0})],
            SamplingPolicy(exploration_base_rate=0.999, exploration_boost=0.0),
        )
        assert (task.kind, task.source, task.purpose, task.status) == ("exploration", "exploration", "primary", "open")
        assert (task.topics, task.topics_key, task.priority) == ([], "", 0.0)
        assert task.inclusion_probability == pytest.approx(0.999)

    def test_an_allowed_listing_at_probability_zero_is_never_drawn(self, database_url: str, screener) -> None:
        results = [result(f"z{i}", "allow", [], {}) for i in range(20)]
        assert (
            tasks_after(
                database_url, screener, results, SamplingPolicy(exploration_base_rate=0.0, exploration_boost=0.0)
            )
            == []
        )

    def test_without_scores_exploration_uses_the_base_rate(self, database_url: str, screener) -> None:
        # the highest score of a listing without model scores is 0, not 1: only the base rate applies
        results = [result(f"n{i}", "allow", [], {}) for i in range(20)]
        assert (
            tasks_after(
                database_url, screener, results, SamplingPolicy(exploration_base_rate=0.0, exploration_boost=1.0)
            )
            == []
        )


def test_a_revised_listing_cancels_its_open_task_and_says_why(database_url: str, screener) -> None:
    flagged = {"title": "スーパーコピー ｼｬﾈﾙ 財布", "category": "wallets", "price": 2000}
    ingest(database_url, screener, listing(id="r1", **flagged))
    ingest(database_url, screener, listing(id="r1", description="値下げしました", **flagged))
    with session_scope(get_engine(database_url)) as session:
        statuses = sorted(t.status for t in session.scalars(select(ReviewTask).where(ReviewTask.listing_id == "r1")))
        (entry,) = session.scalars(select(AuditEntry).where(AuditEntry.action == "task.cancel")).all()
        assert statuses == ["cancelled", "open"]
        assert (entry.actor, entry.entity) == ("system", "review_task")
        assert entry.before == {"status": "open", "claimed_by": None}
        assert entry.after == {"status": "cancelled", "why": "listing revised"}
