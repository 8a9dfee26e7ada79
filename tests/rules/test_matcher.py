"""The three matching engines find the same occurrences."""

from concurrent.futures import ThreadPoolExecutor

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from listingguard.errors import Invalid
from listingguard.rules.matcher import Pattern, build_matcher

PATTERNS = [Pattern("gun"), Pattern("toy gun"), Pattern("ナイキ"), Pattern("キ"), Pattern(r"\d+口径", is_regex=True)]


@pytest.mark.parametrize("engine", ["aho-corasick", "hyperscan"])
def test_finds_every_occurrence_with_character_offsets(engine: str) -> None:
    text = "toy gun and ナイキ 9口径 gun"
    found = build_matcher(PATTERNS, engine).find(text)
    assert (1, 0, 7) in found and (0, 4, 7) in found
    assert (2, 12, 15) in found and (3, 14, 15) in found
    assert (4, 16, 19) in found and (0, 20, 23) in found
    for index, start, end in found:
        assert text[start:end] == PATTERNS[index].text or PATTERNS[index].is_regex


words = st.text(alphabet="abnikeナイキガン 1", min_size=1, max_size=5)


@settings(max_examples=150, deadline=None)
@given(st.lists(words, min_size=1, max_size=8, unique=True), st.text(alphabet="abnikeナイキガン 1", max_size=60))
def test_aho_corasick_and_hyperscan_agree(literals: list[str], text: str) -> None:
    patterns = [Pattern(w) for w in literals]
    a = build_matcher(patterns, "aho-corasick").find(text)
    b = build_matcher(patterns, "hyperscan").find(text)
    assert sorted(a) == sorted(b)
    expected = sorted(
        (i, s, s + len(w)) for i, w in enumerate(literals) for s in range(len(text)) if text.startswith(w, s)
    )
    assert sorted(a) == expected


def test_regex_baseline_finds_non_overlapping_longest_first() -> None:
    found = build_matcher(PATTERNS, "re").find("toy gun and ナイキ 9口径 gun")
    assert found == [(1, 0, 7), (2, 12, 15), (4, 16, 19), (0, 20, 23)]


def test_unknown_engine() -> None:
    with pytest.raises(Invalid, match="unknown matching engine"):
        build_matcher(PATTERNS, "grep")


@pytest.mark.parametrize("engine", ["aho-corasick", "hyperscan"])
def test_one_matcher_serves_concurrent_threads(engine: str) -> None:
    """The API screens in several threads with one rule set; scans must not share scratch space."""
    matcher = build_matcher(PATTERNS, engine)
    texts = [("toy gun and ナイキ 9口径 gun " * (1 + i % 40)) for i in range(400)]
    expected = [matcher.find(t) for t in texts]
    with ThreadPoolExecutor(max_workers=8) as pool:
        for _ in range(5):
            assert list(pool.map(matcher.find, texts)) == expected
