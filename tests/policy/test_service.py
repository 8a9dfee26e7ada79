"""Policy: thresholds, rule forcing, priorities, and clear errors for bad policy files."""

import pytest

from listingguard.errors import Invalid
from listingguard.policy.service import parse_policy
from listingguard.rules.engine import RuleHit

POLICY = b"""
name: test
defaults: {severity: 0.5, review: 0.5, hide: 0.99}
topics:
  weapons: {severity: 1.0, review: 0.3, hide: 0.9}
  overpriced: {severity: 0.2, review: 0.6, hide: null}
"""


@pytest.fixture
def policy():
    return parse_policy(POLICY)


class TestDecide:
    def test_thresholds(self, policy) -> None:
        assert policy.decide({"weapons": 0.1}, []).action == "allow"
        assert policy.decide({"weapons": 0.35}, []).action == "review"
        assert policy.decide({"weapons": 0.95}, []).action == "hide"
        assert policy.decide({"overpriced": 1.0}, []).action == "review"  # never hidden on score alone

    def test_unlisted_topic_uses_defaults(self, policy) -> None:
        assert policy.decide({"tickets": 0.55}, []).action == "review"

    def test_rule_forces_action_and_reason(self, policy) -> None:
        hit = RuleHit("weapons.x", "weapons", "hide", "keyword", "title", 0, 3, "gun")
        decision = policy.decide({"weapons": 0.01}, [hit])
        assert decision.action == "hide" and decision.topics == ["weapons"]
        assert any("weapons.x" in r and "'gun'" in r for r in decision.reasons)

    def test_priority_is_severity_times_probability(self, policy) -> None:
        assert policy.decide({"weapons": 0.5, "overpriced": 0.9}, []).priority == pytest.approx(0.5)


def test_version_is_content_hash() -> None:
    assert parse_policy(POLICY).version == parse_policy(POLICY).version != parse_policy(POLICY + b"\n#x").version


@pytest.mark.parametrize(
    ("raw", "fragment"),
    [
        (b"name: x\ntopics:\n  weapons: {review: 0.9, hide: 0.5}\n", "below the review threshold"),
        (b"name: x\ntopics:\n  weapons: {review: 2}\n", "less than or equal to 1"),
        (b"name: x\ntopics:\n  Weapons: {}\n", "topics.Weapons"),
        (b"name: x\nthreshold: 3\n", "threshold"),
        (b"name: [\n", "not valid YAML"),
    ],
)
def test_bad_policy_files(raw: bytes, fragment: str) -> None:
    with pytest.raises(Invalid, match=fragment):
        parse_policy(raw, "policy.yaml")
