"""Keyword rules that match within a small edit distance, and texts read both ways (``rep1ica``)."""

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from listingguard.config import DEFAULT_RULES_DIR
from listingguard.errors import Invalid
from listingguard.listings.batch import ListingBatch
from listingguard.rules.engine import RuleSet, load_rule_set
from listingguard.rules.matcher import Pattern, build_matcher
from tests.conftest import listing


def levenshtein(a: str, b: str) -> int:
    row = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        prev, row[0] = row[0], i
        for j, cb in enumerate(b, 1):
            prev, row[j] = row[j], min(row[j] + 1, row[j - 1] + 1, prev + (ca != cb))
    return row[-1]


@pytest.fixture(scope="module")
def rules() -> RuleSet:
    return load_rule_set(DEFAULT_RULES_DIR)


def fired(rules: RuleSet, title: str) -> dict[str, object]:
    batch = ListingBatch.from_records([listing(title=title, description="", brand=None, price=20000)])
    return {h.rule_id: h for h in rules.evaluate(batch)[0]}


class TestApproximateMatcher:
    def test_finds_misspellings_within_the_distance(self) -> None:
        matcher = build_matcher([Pattern("replica", max_edits=1), Pattern("gun")], "hyperscan")
        text = "a replika and a replca, not a rplka; gun"
        found = {text[s:e] for i, s, e in matcher.find(text) if i == 0}
        assert {"replika", "replca"} <= found
        assert not any("rplka" in f for f in found)

    def test_trims_the_space_an_edit_spent(self) -> None:
        """Hyperscan reports the leftmost start, which includes the space before the word as an insertion."""
        matcher = build_matcher([Pattern("replica", max_edits=1)], "hyperscan")
        assert (0, 2, 9) in matcher.find("a replica")
        assert (0, 5, 12) in matcher.find("レプリカ replica")

    @settings(max_examples=150, deadline=None)
    @given(st.text(alphabet="replica kx", max_size=30))
    def test_every_approximate_match_is_within_the_distance(self, text: str) -> None:
        matcher = build_matcher([Pattern("replica", max_edits=1)], "hyperscan")
        found = matcher.find(text)
        for _, start, end in found:
            assert levenshtein(text[start:end], "replica") <= 1
        for start in range(len(text)):
            if text.startswith("replica", start):
                assert (0, start, start + 7) in found

    def test_only_ascii_literals_match_approximately(self) -> None:
        with pytest.raises(Invalid, match="ASCII literal"):
            Pattern("レプリカ", max_edits=1)
        with pytest.raises(Invalid, match="ASCII literal"):
            Pattern(r"rep\w+", is_regex=True, max_edits=1)

    @pytest.mark.parametrize("engine", ["re", "aho-corasick"])
    def test_other_engines_refuse_approximate_patterns(self, engine: str) -> None:
        with pytest.raises(Invalid, match="cannot match approximately"):
            build_matcher([Pattern("replica", max_edits=1)], engine)


class TestRulesWithEdits:
    @pytest.mark.parametrize(
        ("title", "rule_id", "near"),
        [
            ("NIKE replika sneakers", "counterfeit.replica_terms", "replica"),
            ("Rolex replca watch", "counterfeit.replica_terms", "replica"),
            ("NIKE rep lica", "counterfeit.replica_terms", "replica"),
        ],
    )
    def test_misspelt_keywords_fire_and_say_what_they_were_close_to(
        self, rules: RuleSet, title: str, rule_id: str, near: str
    ) -> None:
        hit = fired(rules, title)[rule_id]
        assert hit.detail == f"within 1 edit of {near!r}"  # type: ignore[attr-defined]
        assert hit.matched == title.split(maxsplit=1)[1].removesuffix(" sneakers").removesuffix(" watch")  # type: ignore[attr-defined]

    def test_an_exact_hit_has_no_detail(self, rules: RuleSet) -> None:
        assert fired(rules, "replica watch")["counterfeit.replica_terms"].detail == ""  # type: ignore[attr-defined]
        assert fired(rules, "supercopy bag")["counterfeit.explicit_terms"].detail == ""  # type: ignore[attr-defined]

    def test_the_hiding_rule_stays_exact(self, rules: RuleSet) -> None:
        """Within one edit, "super copy" would also be "super cozy"; the rule that hides asks for no edits."""
        assert next(r for _, r in rules.rules if r.id == "counterfeit.explicit_terms").max_edits == 0

    @pytest.mark.parametrize(
        "title",
        ["replicate the look", "make up pouch", "cake stand", "high quality case", "duplicate key", "super cozy"],
    )
    def test_neighbours_of_keywords_do_not_fire(self, rules: RuleSet, title: str) -> None:
        assert not [r for r in fired(rules, title) if r.startswith("counterfeit.")]

    def test_short_and_japanese_keywords_stay_exact(self, rules: RuleSet) -> None:
        rule = next(r for _, r in rules.rules if r.id == "counterfeit.replica_terms")
        assert rule.max_edits == 1
        assert (rule.edits_for("replica"), rule.edits_for("fake"), rule.edits_for("レプリカ")) == (1, 0, 0)
        assert "counterfeit.replica_terms" not in fired(rules, "レプリ スニーカー")

    def test_max_edits_needs_keywords(self, tmp_path: Path) -> None:
        (tmp_path / "drugs.yaml").write_text(
            "topic: drugs\nrules:\n  - id: drugs.x\n    patterns: ['weed\\\\d']\n    max_edits: 1\n", encoding="utf-8"
        )
        with pytest.raises(Invalid, match="max_edits but has no keywords"):
            load_rule_set(tmp_path)

    def test_max_edits_is_bounded(self, tmp_path: Path) -> None:
        (tmp_path / "drugs.yaml").write_text(
            "topic: drugs\nrules:\n  - id: drugs.x\n    keywords: [marijuana]\n    max_edits: 3\n", encoding="utf-8"
        )
        with pytest.raises(Invalid, match="max_edits"):
            load_rule_set(tmp_path)


class TestBothReadings:
    def test_a_hit_only_in_the_second_reading_points_at_what_the_seller_wrote(self, tmp_path: Path) -> None:
        # An exact-only rule, so the hit can only come from reading 1 as l.
        (tmp_path / "counterfeit.yaml").write_text(
            "topic: counterfeit\nrules:\n  - id: counterfeit.x\n    keywords: [replica]\n", encoding="utf-8"
        )
        rules = load_rule_set(tmp_path)
        title = "新品 ＲＥＰ１ＩＣＡ bag"
        hit = fired(rules, title)["counterfeit.x"]
        assert hit.matched == "ＲＥＰ１ＩＣＡ" == title[hit.start : hit.end]  # type: ignore[attr-defined,misc]
        assert hit.detail == ""  # type: ignore[attr-defined]

    def test_second_reading_exceptions_veto_too(self, rules: RuleSet) -> None:
        assert "counterfeit.replica_terms" in fired(rules, "rep1ica jersey")
        assert not [r for r in fired(rules, "rep1ica uniform") if r.startswith("counterfeit.")]

    def test_spans_without_offsets_index_the_normalised_reading(self, tmp_path: Path) -> None:
        (tmp_path / "counterfeit.yaml").write_text(
            "topic: counterfeit\nrules:\n  - id: counterfeit.x\n    keywords: [replica]\n", encoding="utf-8"
        )
        rules = load_rule_set(tmp_path)
        batch = ListingBatch.from_records([listing(title="a rep1ica", description="")])
        (hit,) = rules.evaluate(batch, with_spans=False)[0]
        assert batch.alt_titles[0] == "a replica"
        assert (hit.start, hit.end) == (2, 9)
