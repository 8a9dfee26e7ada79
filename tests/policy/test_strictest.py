"""A listing with several flagged topics takes the strictest of their actions, whatever their order."""

import itertools

import pytest

from listingguard.policy.service import parse_policy, stricter
from listingguard.rules.engine import RuleHit

POLICY = b"""
name: test
defaults: {severity: 0.5, review: 0.5, hide: 0.99}
topics:
  adult: {severity: 0.6, review: 0.4, hide: 0.8}
  weapons: {severity: 1.0, review: 0.3, hide: 0.9}
  overpriced: {severity: 0.2, review: 0.6, hide: null}
"""


@pytest.fixture(scope="module")
def policy():
    return parse_policy(POLICY)


def hit(topic: str, action: str) -> RuleHit:
    return RuleHit(f"{topic}.x", topic, action, "keyword", "title", 0, 1, "x")


def test_stricter_is_symmetric_and_ranks_hide_over_review_over_allow() -> None:
    for a, b in itertools.product(("allow", "review", "hide"), repeat=2):
        assert stricter(a, b) == stricter(b, a)
    assert stricter("allow", "review") == "review"
    assert stricter("review", "hide") == stricter("hide", "allow") == "hide"
    assert stricter("allow", "allow") == "allow"


@pytest.mark.parametrize(
    ("scores", "action", "topic_actions"),
    [
        # a hidden topic sorted before, between and after reviewed ones
        ({"adult": 0.85, "weapons": 0.35}, "hide", {"adult": "hide", "weapons": "review"}),
        ({"adult": 0.45, "weapons": 0.95}, "hide", {"adult": "review", "weapons": "hide"}),
        ({"adult": 0.45, "overpriced": 0.7, "weapons": 0.95}, "hide", None),
        ({"adult": 0.85, "overpriced": 0.7, "weapons": 0.35}, "hide", None),
        ({"adult": 0.45, "overpriced": 1.0, "weapons": 0.1}, "review", None),
        ({"adult": 0.1, "overpriced": 0.1, "weapons": 0.1}, "allow", None),
    ],
)
def test_the_listing_takes_the_strictest_topic_action(policy, scores, action, topic_actions) -> None:
    decision = policy.decide(scores, [])
    assert decision.action == action
    if topic_actions is not None:
        assert decision.topic_actions == topic_actions
    assert decision.topics == sorted(t for t, a in decision.topic_actions.items() if a != "allow")


@pytest.mark.parametrize("order", [0, 1])
def test_a_rule_hide_on_one_topic_wins_over_a_review_score_on_another(policy, order) -> None:
    hits = [hit("adult", "hide"), hit("overpriced", "review")]
    decision = policy.decide({"weapons": 0.35}, hits if order else hits[::-1])
    assert decision.action == "hide"
    assert decision.topic_actions == {"adult": "hide", "overpriced": "review", "weapons": "review"}
    assert decision.topics == ["adult", "overpriced", "weapons"]


def test_a_review_rule_never_loosens_a_hidden_score(policy) -> None:
    decision = policy.decide({"weapons": 0.95}, [hit("weapons", "review")])
    assert decision.action == "hide" and decision.topic_actions == {"weapons": "hide"}


def test_priority_is_the_largest_severity_times_probability_over_flagged_topics(policy) -> None:
    # weapons 1.0 x 0.35 = 0.35; adult 0.6 x 0.85 = 0.51; overpriced is not flagged at 0.5
    assert policy.decide({"adult": 0.85, "weapons": 0.35, "overpriced": 0.5}, []).priority == pytest.approx(0.51)
    # a rule hit counts as probability 1 for its topic
    assert policy.decide({"overpriced": 0.1}, [hit("overpriced", "review")]).priority == pytest.approx(0.2)
    assert policy.decide({"weapons": 0.1}, []).priority == 0.0


def test_reasons_name_every_flagged_topic(policy) -> None:
    reasons = policy.decide({"adult": 0.85, "weapons": 0.35}, []).reasons
    assert any(r.startswith("adult score 0.85 ≥ hide threshold 0.8") for r in reasons)
    assert any(r.startswith("weapons score 0.35 ≥ review threshold 0.3") for r in reasons)
