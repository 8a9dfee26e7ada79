"""Tests that kill the mutants the mutation run (bench/mutation.py) found surviving in rules/.

Self-contained (no tests/conftest.py), so the mutation run can use them cheaply.
"""

from pathlib import Path

import pytest

from listingguard.errors import Invalid
from listingguard.listings.batch import ListingBatch
from listingguard.rules.engine import RuleHit, RuleSet, _on_word_boundary, load_rule_set, rule_set_version

BASE = {
    "id": "L1",
    "price": 8000,
    "currency": "JPY",
    "category": "toys_hobby",
    "brand": None,
    "condition": "good",
    "seller_id": "s100",
    "image_refs": [],
    "created_at": "2026-11-01T10:00:00+00:00",
}
GUNS = "topic: weapons\nrules:\n  - id: weapons.guns\n    keywords: [gun, 銃]\n"


def rule_dir(tmp_path: Path, **files: str) -> Path:
    for name, text in files.items():
        (tmp_path / f"{name}.yaml").write_text(text, encoding="utf-8")
    return tmp_path


@pytest.fixture
def guns(tmp_path: Path) -> RuleSet:
    drugs = "topic: drugs\nrules:\n  - id: drugs.x\n    keywords: [weed]\n"
    return load_rule_set(rule_dir(tmp_path, weapons=GUNS, drugs=drugs), engine="re")


def hits(rules: RuleSet, title: str) -> list[RuleHit]:
    return rules.evaluate(ListingBatch.from_records([{**BASE, "title": title, "description": ""}]))[0]


@pytest.mark.parametrize(
    ("text", "start", "end", "expected"),
    [
        ("gun", 0, 3, True),
        ("a gun b", 2, 5, True),
        ("agun", 1, 4, False),  # a letter before
        ("gunx", 0, 3, False),  # a letter after
        ("guns", 0, 3, True),  # a plural s at the end
        ("guns here", 0, 3, True),  # a plural s before a space
        ("gunsmith", 0, 3, False),  # "s" followed by more letters is not a plural
        ("1gun", 1, 4, False),  # digits count as word characters
        ("銃gun銃", 1, 4, True),  # a non-Latin neighbour is a boundary
        ("x銃", 1, 2, True),  # a non-Latin keyword matches inside Latin text
    ],
)
def test_word_boundaries(text: str, start: int, end: int, expected: bool) -> None:
    assert _on_word_boundary(text, start, end) is expected


def test_boundaries_apply_to_keywords_in_listings(guns: RuleSet) -> None:
    assert [h.rule_id for h in hits(guns, "old guns")] == ["weapons.guns"]
    assert hits(guns, "gunsmith tools") == []
    assert hits(guns, "shotgun") == []
    assert [h.matched for h in hits(guns, "模型の銃です")] == ["銃"]


def test_a_hit_as_a_dict(guns: RuleSet) -> None:
    (hit,) = hits(guns, "a gun and a gun")
    assert hit.to_dict() == {
        "rule_id": "weapons.guns",
        "topic": "weapons",
        "action": "review",
        "kind": "keyword",
        "field": "title",
        "start": 2,
        "end": 5,
        "matched": "gun",
        "detail": "",
        "spans": [{"field": "title", "start": 2, "end": 5}, {"field": "title", "start": 12, "end": 15}],
    }
    assert RuleHit("a.b", "a", "hide", "price", "price").to_dict()["spans"] == []
    assert RuleHit("a.b", "a", "hide", "price", "price").start is None


def test_a_rule_set_knows_its_topics_version_and_engine(guns: RuleSet, tmp_path: Path) -> None:
    assert guns.topics == ["drugs", "weapons"]
    assert guns.engine == "re"
    assert guns.version == rule_set_version(tmp_path) and guns.version.startswith("rules-")
    with pytest.raises(AttributeError):
        hits(guns, "gun")[0].topic = "x"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("topic: weapons\nrules:\n  - id: weapons.x\n    keywords: ['★★']\n", "rule weapons.x keyword '★★' is empty"),
        (
            "topic: weapons\nrules:\n  - id: weapons.x\n    keywords: [gun]\n    exceptions: ['★']\n",
            "rule weapons.x exception '★' is empty",
        ),
        (
            "topic: weapons\nexceptions: ['☆']\nrules:\n  - id: weapons.x\n    keywords: [gun]\n",
            "topic weapons exception",
        ),
    ],
)
def test_empty_after_normalisation_names_where(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(Invalid, match="^" + message.replace(".", r"\.")):
        load_rule_set(rule_dir(tmp_path, weapons=text))


def test_a_brand_alias_empty_after_normalisation_names_its_list(tmp_path: Path) -> None:
    lists = "brand_lists:\n  luxury:\n    Gucci: ['☆']\n"
    with pytest.raises(Invalid, match=r"^brand list luxury '☆' is empty"):
        load_rule_set(rule_dir(tmp_path, weapons=GUNS, _lists=lists))
