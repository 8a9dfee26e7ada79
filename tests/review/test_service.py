"""The review queue on SQLite and PostgreSQL: ordering, leases, decisions, enforcement, appeals, audit."""

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError

from listingguard.audit.models import AuditEntry
from listingguard.db import get_engine, session_scope
from listingguard.errors import Conflict, Invalid
from listingguard.intake.flows import ingest_and_screen
from listingguard.listings.schemas import ListingIn
from listingguard.policy.schemas import SamplingPolicy
from listingguard.review import service
from listingguard.review.agreement import agreement
from listingguard.review.models import Decision, ReviewTask
from listingguard.review.training_data import from_decisions
from listingguard.screening import service as screening_service
from listingguard.users.models import User
from tests.conftest import listing, make_user

NOW = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)
NO_SECOND = SamplingPolicy(second_review_rate=0.0)
TOPICS = ["adult", "cash_giftcards", "counterfeit", "drugs", "live_animals", "overpriced", "tickets_resale", "weapons"]


def ingest(url: str, screener, *records: dict, now: datetime = NOW) -> None:
    with session_scope(get_engine(url)) as session:
        ingest_and_screen(session, screener=screener, listings=[ListingIn.model_validate(r) for r in records], now=now)


def flagged(i: int, **kw) -> dict:
    return listing(id=f"f{i}", title="スーパーコピー ｼｬﾈﾙ 財布", category="wallets", price=2000, **kw)


def user(session, name: str) -> User:
    return session.scalars(select(User).where(User.username == name)).one()


@pytest.fixture
def people(database_url: str) -> str:
    for name in ("alice", "bob", "carol"):
        make_user(database_url, name, "moderator")
    return database_url


class TestQueue:
    def test_flagged_listings_become_tasks_by_priority_then_age(self, people: str, screener) -> None:
        ingest(people, screener, listing(id="w1", title="拳銃 実銃 本物", category="toys_hobby", price=30000))
        ingest(people, screener, flagged(1), now=NOW + timedelta(minutes=1))
        ingest(people, screener, flagged(2), now=NOW + timedelta(minutes=2))
        with session_scope(get_engine(people)) as session:
            order = [
                t.listing_id
                for t in service.get_queue(session, reviewer=user(session, "alice"), now=NOW + timedelta(hours=1))
            ]
        assert order[0] == "w1"  # weapons: severity 1.0
        assert order.index("f1") < order.index("f2")  # same priority: oldest first

    def test_lease_expiry_returns_the_task(self, people: str, screener) -> None:
        ingest(people, screener, flagged(1))
        engine = get_engine(people)
        with session_scope(engine) as session:
            task = service.claim_next(session, reviewer=user(session, "alice"), now=NOW)
            first_token = task.claim_token
            assert service.claim_next(session, reviewer=user(session, "bob"), now=NOW + timedelta(minutes=1)) is None
        with session_scope(engine) as session:  # alice closed her browser; the lease runs out
            again = service.claim_next(session, reviewer=user(session, "bob"), now=NOW + timedelta(minutes=6))
            assert again is not None and again.id == task.id and again.claim_token != first_token
        with session_scope(engine) as session, pytest.raises(Conflict, match="lease expired"):
            service.decide(
                session,
                task_id=task.id,
                reviewer=user(session, "alice"),
                claim_token=first_token,
                topics=["counterfeit"],
                note=None,
                known_topics=TOPICS,
                sampling_policy=NO_SECOND,
                now=NOW + timedelta(minutes=7),
            )

    def test_filters(self, people: str, screener) -> None:
        ingest(people, screener, flagged(1), listing(id="w1", title="拳銃 実銃", category="toys_hobby", price=30000))
        with session_scope(get_engine(people)) as session:
            alice = user(session, "alice")
            only = service.get_queue(session, reviewer=alice, flt=service.QueueFilter(topic="weapons"), now=NOW)
            assert [t.listing_id for t in only] == ["w1"]
            none = service.get_queue(session, reviewer=alice, flt=service.QueueFilter(kinds=("evaluation",)), now=NOW)
            assert none == []
            assert (
                service.get_queue(session, reviewer=alice, flt=service.QueueFilter(older_than_minutes=30), now=NOW)
                == []
            )
        with pytest.raises(Invalid, match="unknown topic"):
            service.QueueFilter(topic="weapon").validate(TOPICS)


class TestDecide:
    def claim(self, url: str, name: str = "alice"):
        with session_scope(get_engine(url)) as session:
            task = service.claim_next(session, reviewer=user(session, name), now=NOW)
            return task.id, task.claim_token

    def decide(self, url: str, task_id: int, token: str, topics: list[str], name: str = "alice", policy=NO_SECOND):
        with session_scope(get_engine(url)) as session:
            return service.decide(
                session,
                task_id=task_id,
                reviewer=user(session, name),
                claim_token=token,
                topics=topics,
                note="n",
                known_topics=TOPICS,
                sampling_policy=policy,
                now=NOW,
            ).id

    def test_a_wrong_token_on_a_task_you_hold_says_so(self, people: str, screener) -> None:
        ingest(people, screener, flagged(1))
        task_id, token = self.claim(people)
        with pytest.raises(Conflict, match=r"wrong claim token .* you hold its lease") as refused:
            self.decide(people, task_id, "not-" + token, [])
        assert "another moderator" not in str(refused.value)
        with session_scope(get_engine(people)) as session, pytest.raises(Conflict, match="wrong claim token"):
            service.release(session, task_id=task_id, reviewer=user(session, "alice"), claim_token="x", now=NOW)
        with pytest.raises(Conflict, match="another moderator holds it"):
            self.decide(people, task_id, token, [], name="bob")
        with session_scope(get_engine(people)) as session:
            service.release(session, task_id=task_id, reviewer=user(session, "alice"), claim_token=token, now=NOW)
        with pytest.raises(Conflict, match="back in the queue"):
            self.decide(people, task_id, token, [])
        assert self.decide(people, *self.claim(people), []) > 0  # claimed again, decided

    def test_cancelling_a_claimed_task_records_that_it_was_claimed(self, people: str, screener) -> None:
        ingest(people, screener, flagged(1))
        task_id, _ = self.claim(people)
        ingest(people, screener, flagged(1, description="値下げしました"), now=NOW + timedelta(minutes=1))
        with session_scope(get_engine(people)) as session:
            entry = session.scalars(
                select(AuditEntry).where(AuditEntry.action == "task.cancel", AuditEntry.entity_id == str(task_id))
            ).one()
            assert entry.before == {"status": "claimed", "claimed_by": user(session, "alice").id}
            assert session.get(ReviewTask, task_id).status == "cancelled"

    def test_ok_restores_a_hidden_listing_and_duplicates_count_once(self, people: str, screener) -> None:
        ingest(people, screener, flagged(1))
        with session_scope(get_engine(people)) as session:
            revision_id = session.scalars(select(ReviewTask.revision_id)).one()
            assert screening_service.latest_action(session, revision_id=revision_id).action == "hide"
        task_id, token = self.claim(people)
        first = self.decide(people, task_id, token, [])
        assert self.decide(people, task_id, token, []) == first  # double click / retry
        with pytest.raises(Conflict, match="already decided"):
            self.decide(people, task_id, token, ["counterfeit"])
        with session_scope(get_engine(people)) as session:
            assert session.scalars(select(Decision)).all().__len__() == 1
            action = screening_service.latest_action(session, revision_id=revision_id)
            assert action.action == "allow" and action.reasons["source"] == "moderator"
            actions = [e.action for e in session.scalars(select(AuditEntry).order_by(AuditEntry.id))]
            assert actions[-3:] == ["task.claim", "task.decide", "listing.restore"]

    def test_confirmed_violation_hides_an_allowed_listing(self, people: str, screener) -> None:
        ingest(people, screener, listing(id="e1"))
        with session_scope(get_engine(people)) as session:
            service.create_evaluation_tasks(session, listing_ids=["e1"], source="backtest:t", actor="lead", now=NOW)
        task_id, token = self.claim(people)
        self.decide(people, task_id, token, ["weapons"])
        with session_scope(get_engine(people)) as session:
            decision = session.scalars(select(Decision)).one()
            assert decision.kind == "evaluation" and decision.topics == ["weapons"]
            assert screening_service.latest_action(session, revision_id=decision.revision_id).action == "hide"

    def test_unknown_topic(self, people: str, screener) -> None:
        ingest(people, screener, flagged(1))
        task_id, token = self.claim(people)
        with pytest.raises(Invalid, match="unknown topic"):
            self.decide(people, task_id, token, ["weapon"])

    def test_second_review_goes_to_someone_else_and_feeds_agreement(self, people: str, screener) -> None:
        ingest(people, screener, flagged(1))
        task_id, token = self.claim(people, "alice")
        self.decide(people, task_id, token, ["counterfeit"], policy=SamplingPolicy(second_review_rate=1.0))
        with session_scope(get_engine(people)) as session:
            assert service.claim_next(session, reviewer=user(session, "alice"), now=NOW) is None
        second_id, second_token = self.claim(people, "bob")
        self.decide(people, second_id, second_token, ["counterfeit"], name="bob")
        with session_scope(get_engine(people)) as session:
            pairs = service.decision_pairs(session)
            result = agreement(pairs, TOPICS)
            second = session.get(ReviewTask, second_id)
            assert second.purpose == "second_review" and second.parent_task_id == task_id
        assert result["pairs"] == 1 and result["verdict_agreement"] == 1.0

    def test_appeal_goes_to_another_moderator(self, people: str, screener) -> None:
        ingest(people, screener, flagged(1))
        task_id, token = self.claim(people, "alice")
        self.decide(people, task_id, token, ["counterfeit"])
        with session_scope(get_engine(people)) as session:
            appeal = service.create_appeal(session, listing_id="f1", message="it is genuine", actor="seller", now=NOW)
            assert service.claim_next(session, reviewer=user(session, "alice"), now=NOW) is None
            taken = service.claim_next(session, reviewer=user(session, "bob"), now=NOW)
            assert taken.id == appeal.id and taken.purpose == "appeal"
            with pytest.raises(Conflict, match="already has an open appeal"):
                service.create_appeal(session, listing_id="f1", message="again", actor="seller", now=NOW)


def test_exploration_samples_keep_their_probability_and_weight_training(people: str, screener, sim_records) -> None:
    benign = [r for r in sim_records if not r["meta"]["sim"]["truth"]][:600]
    ingest(people, screener, *benign)
    with session_scope(get_engine(people)) as session:
        explored = session.scalars(select(ReviewTask).where(ReviewTask.kind == "exploration")).all()
        assert explored, "expected some exploration tasks among 600 allowed listings"
        assert all(0 < t.inclusion_probability < 1 for t in explored)
        alice = user(session, "alice")
        for _ in explored:
            claimed = service.claim_next(
                session, reviewer=alice, flt=service.QueueFilter(kinds=("exploration",)), now=NOW
            )
            service.decide(
                session,
                task_id=claimed.id,
                reviewer=alice,
                claim_token=claimed.claim_token,
                topics=[],
                note=None,
                known_topics=TOPICS,
                sampling_policy=NO_SECOND,
                now=NOW,
            )
    with session_scope(get_engine(people)) as session:
        data = from_decisions(session, since=NOW - timedelta(days=1))
    assert len(data.records) == len(explored)
    assert sorted(data.weights) == sorted(1 / t.inclusion_probability for t in explored)
    assert data.lineage["decisions_by_kind"] == {"exploration": len(explored)}


@pytest.mark.parametrize("table", ["decisions", "audit_log"])
def test_labels_and_audit_are_append_only(people: str, screener, table: str) -> None:
    ingest(people, screener, flagged(1))
    with session_scope(get_engine(people)) as session:
        alice = user(session, "alice")
        task = service.claim_next(session, reviewer=alice, now=NOW)
        service.decide(
            session,
            task_id=task.id,
            reviewer=alice,
            claim_token=task.claim_token,
            topics=[],
            note=None,
            known_topics=TOPICS,
            sampling_policy=NO_SECOND,
            now=NOW,
        )
    with pytest.raises(DBAPIError, match="append-only"), get_engine(people).begin() as conn:
        conn.execute(text(f"DELETE FROM {table}"))
