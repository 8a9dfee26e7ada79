"""Exceptions: a rule's own exceptions veto that rule only; a topic's exceptions veto every rule of the topic."""

from pathlib import Path

import pytest

from listingguard.listings.batch import ListingBatch
from listingguard.rules.engine import RuleSet, load_rule_set

# a listing record of its own (not tests.conftest's), so the mutation run can skip the heavy conftest
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

WEAPONS = """
topic: weapons
exceptions: [おもちゃ]
rules:
  - id: weapons.knives
    action: hide
    keywords: [knife, ナイフ]
    exceptions: [butter knife, バターナイフ]
  - id: weapons.blades
    keywords: [blade]
  - id: weapons.calibre
    patterns: ['\\d+口径']
    exceptions: [エアガン]
  - id: weapons.seller
    seller_list: bad
    exceptions: [ご本人確認済]
"""

DRUGS = """
topic: drugs
rules:
  - id: drugs.knife_words
    keywords: [knife]
"""

LISTS = """
seller_lists:
  bad: [s666]
"""


@pytest.fixture(scope="module")
def rules(tmp_path_factory: pytest.TempPathFactory) -> RuleSet:
    directory: Path = tmp_path_factory.mktemp("rules")
    (directory / "weapons.yaml").write_text(WEAPONS, encoding="utf-8")
    (directory / "drugs.yaml").write_text(DRUGS, encoding="utf-8")
    (directory / "_lists.yaml").write_text(LISTS, encoding="utf-8")
    return load_rule_set(directory)


def fired(rules: RuleSet, title: str, description: str = "", **overrides: object) -> list[str]:
    batch = ListingBatch.from_records([{**BASE, "title": title, "description": description, **overrides}])
    return sorted(h.rule_id for h in rules.evaluate(batch)[0])


def test_without_an_exception_the_rules_fire(rules: RuleSet) -> None:
    assert fired(rules, "hunting knife") == ["drugs.knife_words", "weapons.knives"]
    assert fired(rules, "hunting knife with blade") == ["drugs.knife_words", "weapons.blades", "weapons.knives"]


def test_a_rule_exception_vetoes_its_own_rule_only(rules: RuleSet) -> None:
    # "butter knife" vetoes weapons.knives, not the other weapons rule nor another topic's rule on "knife"
    assert fired(rules, "butter knife with blade") == ["drugs.knife_words", "weapons.blades"]
    assert fired(rules, "knife", description="a butter knife set") == ["drugs.knife_words"]


def test_a_rule_exception_is_normalised_like_the_listing(rules: RuleSet) -> None:
    assert fired(rules, "ﾊﾞﾀｰﾅｲﾌ 3本") == []  # half-width katakana
    assert fired(rules, "ナイフ 3本") == ["weapons.knives"]
    assert fired(rules, "BUTTER KNIFE") == ["drugs.knife_words"]


def test_a_rule_exception_vetoes_a_pattern_rule(rules: RuleSet) -> None:
    assert fired(rules, "9口径") == ["weapons.calibre"]
    assert fired(rules, "エアガン 9口径") == []


def test_a_rule_exception_vetoes_a_seller_rule(rules: RuleSet) -> None:
    assert fired(rules, "本", seller_id="s666") == ["weapons.seller"]
    assert fired(rules, "本 ご本人確認済", seller_id="s666") == []


def test_a_topic_exception_vetoes_every_rule_of_its_topic_only(rules: RuleSet) -> None:
    assert fired(rules, "おもちゃ knife blade 9口径", seller_id="s666") == ["drugs.knife_words"]
