"""Tests that kill the mutants the mutation run (bench/mutation.py) found surviving in policy/."""

from pathlib import Path

import pytest
from pydantic import ValidationError

from listingguard.errors import Invalid
from listingguard.policy.schemas import PolicyFile, SamplingPolicy, TopicPolicy
from listingguard.policy.service import dump_policy, load_policy, parse_policy
from listingguard.rules.engine import RuleHit

POLICY = b"""
name: test
topics:
  weapons: {severity: 1.0, review: 0.3, hide: 0.9, description: "\xe6\xad\xa6\xe5\x99\xa8"}
  tickets: {severity: 0.4, review: 0.5, hide: 0.5}
"""


@pytest.fixture(scope="module")
def policy():
    return parse_policy(POLICY, "policy.yaml")


def test_a_score_exactly_at_a_threshold_reaches_it(policy) -> None:
    assert policy.decide({"weapons": 0.9}, []).action == "hide"
    assert policy.decide({"weapons": 0.3}, []).action == "review"
    assert policy.decide({"weapons": 0.2999}, []).action == "allow"


def test_hide_may_equal_review(policy) -> None:
    assert policy.topic("tickets") == TopicPolicy(severity=0.4, review=0.5, hide=0.5)
    assert policy.decide({"tickets": 0.5}, []).action == "hide"


def test_the_documented_defaults() -> None:
    assert TopicPolicy() == TopicPolicy(severity=0.5, review=0.5, hide=None, description="")
    assert SamplingPolicy() == SamplingPolicy(
        exploration_base_rate=0.002, exploration_boost=0.05, second_review_rate=0.03
    )
    spec = parse_policy(b"name: bare\n").spec
    assert (spec.description, spec.parent, spec.topics) == ("", None, {})
    assert spec.defaults == TopicPolicy() and spec.sampling == SamplingPolicy()
    assert parse_policy(b"name: bare\n").decide({"anything": 0.5}, []).action == "review"


@pytest.mark.parametrize(
    "raw",
    [
        b"name: x\ndefaults: {severity: 1.01}\n",
        b"name: x\ndefaults: {severity: 0}\n",
        b"name: x\ndefaults: {hide: 1.01}\n",
        b"name: x\ndefaults: {review: -0.1}\n",
        b"name: x\nsampling: {exploration_base_rate: 1.01}\n",
        b"name: x\nsampling: {exploration_base_rate: -0.01}\n",
        b"name: x\nsampling: {exploration_boost: 1.01}\n",
        b"name: x\nsampling: {exploration_boost: -0.01}\n",
        b"name: x\nsampling: {second_review_rate: 1.01}\n",
        b"name: x\nsampling: {second_review_rate: -0.01}\n",
        b"name: x\nsampling: {second_rate: 0.1}\n",
        b"name: x\ndefaults: {sevrity: 0.1}\n",
    ],
)
def test_out_of_range_or_unknown_settings_are_refused(raw: bytes) -> None:
    with pytest.raises(Invalid, match=r"^policy\.yaml: (defaults|sampling)\."):
        parse_policy(raw, "policy.yaml")


def test_bounds_are_inclusive() -> None:
    spec = parse_policy(
        b"name: x\ndefaults: {severity: 1, review: 0, hide: 1}\n"
        b"sampling: {exploration_base_rate: 1, exploration_boost: 0, second_review_rate: 1}\n"
    ).spec
    assert spec.defaults.severity == 1 and spec.sampling.second_review_rate == 1


def test_loaded_settings_are_frozen(policy) -> None:
    for model, attribute in (
        (policy.spec, "name"),
        (policy.spec.defaults, "review"),
        (policy.spec.sampling, "exploration_boost"),
    ):
        with pytest.raises(ValidationError):
            setattr(model, attribute, 0.1)


def test_error_messages_name_the_file_and_the_line() -> None:
    with pytest.raises(Invalid, match=r"^policy\.yaml: not valid YAML at line 2: mapping values are not allowed here$"):
        parse_policy(b"name: x\ndescription: a: b\n", "policy.yaml")
    with pytest.raises(Invalid, match=r"^policy\.yaml: not valid UTF-8$"):
        parse_policy(b"name: \xff\n", "policy.yaml")
    with pytest.raises(Invalid) as refused:
        parse_policy(b"name: x\ntopics:\n  weapons: {review: 2, hide: 3}\n", "policy.yaml")
    assert str(refused.value).startswith("policy.yaml: topics.weapons.review: ")
    assert "; topics.weapons.hide: " in str(refused.value)
    with pytest.raises(Invalid, match=r"^<policy>: name: "):
        parse_policy(b"name: ''\n")
    with pytest.raises(Invalid, match=r"below the review threshold 0\.9$"):
        parse_policy(b"name: x\ndefaults: {review: 0.9, hide: 0.5}\n")


def test_load_policy(tmp_path: Path) -> None:
    path = tmp_path / "policy.yaml"
    with pytest.raises(Invalid, match=rf"^{path}: policy file not found$"):
        load_policy(path)
    path.write_bytes(POLICY)
    loaded = load_policy(path)
    assert loaded.source == str(path) and loaded.name == "test" and loaded.topics == ["tickets", "weapons"]
    assert parse_policy(POLICY).source == "<policy>"


def test_dump_and_parse_round_trip_readably(policy) -> None:
    raw = dump_policy(policy.spec)
    assert parse_policy(raw).spec == policy.spec
    text = raw.decode("utf-8")
    assert "武器" in text and "hide: null" in text  # readable, and a topic's "never hide" stays explicit
    assert text.index("weapons") < text.index("tickets") and text.startswith("name: test")  # file order kept


def test_versions_are_the_hash_prefix() -> None:
    version = parse_policy(POLICY).version
    assert version.startswith("policy-") and len(version) == len("policy-") + 12


def test_reasons_read_exactly(policy) -> None:
    keyword = RuleHit("weapons.x", "weapons", "hide", "keyword", "title", 0, 3, "gun")
    price = RuleHit("weapons.p", "weapons", "review", "price", "price", detail="price 100 JPY is 0.01x")
    bare = RuleHit("weapons.s", "weapons", "review", "seller", "seller_id")
    reasons = policy.decide({"weapons": 0.95}, [keyword, price, bare]).reasons
    assert reasons == [
        "weapons score 0.95 ≥ hide threshold 0.9",
        "rule weapons.x → hide 'gun' in title",
        "rule weapons.p → review (price 100 JPY is 0.01x)",
        "rule weapons.s → review",
    ]
    assert policy.decide({"weapons": 0.35}, []).reasons == ["weapons score 0.35 ≥ review threshold 0.3"]


def test_the_spec_is_a_policy_file(policy) -> None:
    assert isinstance(policy.spec, PolicyFile)
