"""A decision is only accepted under the claim token of the reviewer's current lease."""

import pytest
from sqlalchemy import select

from listingguard.db import get_engine, session_scope
from listingguard.errors import Conflict
from listingguard.review import service
from listingguard.review.models import Decision, ReviewTask
from tests.conftest import count
from tests.review.test_service import NO_SECOND, NOW, TOPICS, flagged, ingest, people, user

__all__ = ["people"]  # the fixture, imported for the tests below


def claim(url: str, name: str = "alice") -> tuple[int, str]:
    with session_scope(get_engine(url)) as session:
        task = service.claim_next(session, reviewer=user(session, name), now=NOW)
        assert task is not None and task.claim_token
        return task.id, task.claim_token


def decide(url: str, task_id: int, token: str, name: str = "alice") -> Decision:
    with session_scope(get_engine(url)) as session:
        decision = service.decide(
            session,
            task_id=task_id,
            reviewer=user(session, name),
            claim_token=token,
            topics=["counterfeit"],
            note=None,
            known_topics=TOPICS,
            sampling_policy=NO_SECOND,
            now=NOW,
        )
        session.expunge(decision)
        return decision


def status(url: str, task_id: int) -> str:
    with get_engine(url).connect() as conn:
        return str(conn.execute(select(ReviewTask.status).where(ReviewTask.id == task_id)).scalar_one())


@pytest.mark.parametrize("token", ["", "0", "00000000-0000-0000-0000-000000000000"])
def test_a_decision_without_the_leases_token_is_refused_and_nothing_is_saved(people: str, screener, token) -> None:
    ingest(people, screener, flagged(1))
    task_id, _ = claim(people)
    with pytest.raises(Conflict, match="Nothing was saved"):
        decide(people, task_id, token)
    assert count(people, Decision) == 0 and status(people, task_id) == "claimed"


def test_the_token_of_an_earlier_lease_is_refused(people: str, screener) -> None:
    ingest(people, screener, flagged(1))
    task_id, old = claim(people)
    with session_scope(get_engine(people)) as session:
        service.release(session, task_id=task_id, reviewer=user(session, "alice"), claim_token=old, now=NOW)
    again, new = claim(people)
    assert again == task_id and new != old
    with pytest.raises(Conflict, match="wrong claim token"):
        decide(people, task_id, old)
    assert count(people, Decision) == 0
    decision = decide(people, task_id, new)
    assert decision.claim_token == new and status(people, task_id) == "decided"


def test_the_holders_token_does_not_work_for_another_moderator(people: str, screener) -> None:
    ingest(people, screener, flagged(1))
    task_id, token = claim(people)
    with pytest.raises(Conflict, match="another moderator holds it"):
        decide(people, task_id, token, name="bob")
    assert count(people, Decision) == 0


def test_a_repeat_under_another_token_is_not_taken_for_the_same_submit(people: str, screener) -> None:
    ingest(people, screener, flagged(1))
    task_id, token = claim(people)
    first = decide(people, task_id, token)
    assert decide(people, task_id, token).id == first.id  # the same submit again
    with pytest.raises(Conflict, match="already decided"):
        decide(people, task_id, "x" + token[1:])
    assert count(people, Decision) == 1
