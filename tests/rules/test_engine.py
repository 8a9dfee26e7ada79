"""Rule sets: loading, versions, hits with original spans, exceptions, price and seller rules, bad files."""

import shutil
from pathlib import Path

import pytest

from listingguard.config import DEFAULT_RULES_DIR
from listingguard.errors import Invalid
from listingguard.listings.batch import ListingBatch
from listingguard.rules.engine import load_rule_set, rule_set_version
from tests.conftest import listing


@pytest.fixture(scope="module")
def rules():
    return load_rule_set(DEFAULT_RULES_DIR)


def hits_for(rules, **overrides):
    return rules.evaluate(ListingBatch.from_records([listing(**overrides)]))[0]


class TestDefaultRules:
    def test_disguised_keyword_fires_with_the_sellers_own_span(self, rules) -> None:
        title = "激安 ｽｰﾊﾟｰｺﾋﾟｰ 長財布"
        hits = hits_for(rules, title=title, category="wallets")
        hit = next(h for h in hits if h.rule_id == "counterfeit.explicit_terms")
        assert hit.field == "title" and hit.action == "hide"
        assert title[hit.start : hit.end] == "ｽｰﾊﾟｰｺﾋﾟｰ" == hit.matched

    def test_latin_keywords_match_whole_words_only(self, rules) -> None:
        assert not hits_for(rules, title="gunmetal daggerboard", description="")
        assert [h.rule_id for h in hits_for(rules, title="Stun guns for sale", description="")] == [
            "weapons.stun_devices"
        ]

    def test_exception_suppresses_the_topic(self, rules) -> None:
        assert not hits_for(rules, title="おもちゃ スタンガン型ライト", description="")

    def test_price_rule_needs_brand_condition_and_ratio(self, rules) -> None:
        cheap = {
            "title": "ルイヴィトン 長財布",
            "description": "",
            "category": "wallets",
            "condition": "new",
            "brand": None,
        }
        assert [h.rule_id for h in hits_for(rules, price=1500, **cheap)] == ["counterfeit.cheap_luxury"]
        assert not hits_for(rules, price=20000, **cheap)
        assert not hits_for(rules, price=1500, **{**cheap, "condition": "poor"})
        hit = hits_for(rules, price=1500, **cheap)[0]
        assert hit.kind == "price" and "0.17x" in hit.detail

    def test_seller_list(self, rules) -> None:
        hits = hits_for(rules, seller_id="s91000")
        assert [h.rule_id for h in hits] == ["counterfeit.known_sellers"]


def copy_rules(tmp_path: Path) -> Path:
    target = tmp_path / "rules"
    shutil.copytree(DEFAULT_RULES_DIR, target)
    return target


class TestVersionsAndErrors:
    def test_version_is_a_content_hash(self, tmp_path: Path) -> None:
        target = copy_rules(tmp_path)
        before = rule_set_version(target)
        assert before == rule_set_version(DEFAULT_RULES_DIR)
        with (target / "weapons.yaml").open("a") as fh:
            fh.write("\n# a comment is an edit too\n")
        assert rule_set_version(target) != before

    @pytest.mark.parametrize(
        ("text", "message"),
        [
            ("topic: weapons\nrules:\n  - id: weapons.x\n    keywrds: [gun]\n", "keywrds"),
            ("topic: weapons\nrules:\n  - id: weapons.x\n    patterns: ['(']\n", "not a valid regular expression"),
            ("topic: weapons\nrules:\n  - id: weapons.x\n    patterns: ['a*']\n", "matches the empty string"),
            ("topic: weapons\nrules:\n  - id: drugs.x\n    keywords: [a]\n", "must start with the topic name"),
            ("topic: weapons\nrules:\n  - id: weapons.x\n    seller_list: nobody\n", "does not define"),
            ("topic: weapons\nrules: [\n", "not valid YAML"),
            ("topic: weapons\nrules:\n  - id: weapons.x\n", "would never fire"),
            ("topic: weapons\nrules:\n  - id: weapons.x\n    keywords: ['★']\n", "empty after normalisation"),
        ],
    )
    def test_bad_rule_files_name_the_file_and_the_problem(self, tmp_path: Path, text: str, message: str) -> None:
        target = copy_rules(tmp_path)
        (target / "weapons.yaml").write_text(text, encoding="utf-8")
        with pytest.raises(Invalid, match=message) as info:
            load_rule_set(target)
        if "seller_list" not in text and "★" not in text:
            assert "weapons.yaml" in info.value.message

    def test_file_name_must_match_topic(self, tmp_path: Path) -> None:
        target = copy_rules(tmp_path)
        shutil.move(target / "weapons.yaml", target / "arms.yaml")
        with pytest.raises(Invalid, match=r"name the file weapons\.yaml"):
            load_rule_set(target)

    def test_duplicate_rule_ids(self, tmp_path: Path) -> None:
        target = copy_rules(tmp_path)
        (target / "weapons.yaml").write_text(
            "topic: weapons\nrules:\n  - {id: weapons.x, keywords: [a]}\n  - {id: weapons.x, keywords: [b]}\n"
        )
        with pytest.raises(Invalid, match="defined twice"):
            load_rule_set(target)


def test_pattern_hyperscan_cannot_compile_is_named(tmp_path: Path) -> None:
    target = copy_rules(tmp_path)
    (target / "weapons.yaml").write_text("topic: weapons\nrules:\n  - id: weapons.x\n    patterns: ['(?<=a)gun']\n")
    with pytest.raises(Invalid, match=r"pattern '\(\?<=a\)gun' cannot be compiled by Hyperscan"):
        load_rule_set(target)


def test_every_occurrence_of_a_rule_is_reported_with_its_original_span(rules) -> None:
    """One hit per rule (counting is per rule), but every place it fired, mapped to the seller's text."""
    title = "スーパーコピー 長財布"
    description = "人気の ｽｰﾊﾟｰｺﾋﾟｰ です。 スーパーコピー 品質、s級コピー"
    hits = hits_for(rules, title=title, description=description, category="wallets")
    hit = next(h for h in hits if h.rule_id == "counterfeit.explicit_terms")
    assert [h.rule_id for h in hits].count("counterfeit.explicit_terms") == 1
    texts = {"title": title, "description": description}
    found = [(f, texts[f][s:e]) for f, s, e in hit.spans]
    assert ("title", "スーパーコピー") in found
    assert ("description", "ｽｰﾊﾟｰｺﾋﾟｰ") in found and ("description", "スーパーコピー") in found
    assert (hit.field, hit.start, hit.end) == hit.spans[0]
    assert hit.to_dict()["spans"][0] == {"field": hit.field, "start": hit.start, "end": hit.end}
