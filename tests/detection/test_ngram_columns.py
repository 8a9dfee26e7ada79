"""The n-gram hasher puts each n-gram scikit-learn's CountVectorizer counts into that n-gram's own column.

The column of an n-gram is recomputed here from its characters alone (the documented multiply-xor hash
over code points), so the test checks which n-gram lands where, not only that the counts look alike.
"""

from collections import Counter

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.feature_extraction.text import CountVectorizer

from listingguard.detection.features import _MULT, hash_char_ngrams, ngram_occurrences

MASK = (1 << 64) - 1


def column_of(ngram: str, *, hash_bits: int, seed: int) -> int:
    """The column of one n-gram, from its characters only."""
    h = seed
    for ch in ngram:
        h = ((h ^ ord(ch)) * int(_MULT)) & MASK
    return (((h ^ len(ngram)) * int(_MULT)) & MASK) >> (64 - hash_bits)


def expected_row(vectorizer: CountVectorizer, counts, *, hash_bits: int, seed: int) -> dict[int, float]:
    vocabulary = vectorizer.get_feature_names_out()
    row: Counter[int] = Counter()
    for index, count in zip(counts.indices, counts.data, strict=True):
        row[column_of(str(vocabulary[index]), hash_bits=hash_bits, seed=seed)] += int(count)
    return dict(row)


def as_dict(matrix_row) -> dict[int, float]:
    return {int(c): float(v) for c, v in zip(matrix_row.indices, matrix_row.data, strict=True)}


@settings(max_examples=80, deadline=None)
@given(
    st.lists(st.text(alphabet="abcナイキ 1é", max_size=25), min_size=1, max_size=6),
    st.integers(min_value=1, max_value=4),
    st.integers(min_value=0, max_value=2**32),
)
def test_each_ngram_lands_in_its_own_column(docs: list[str], ngram_min: int, seed: int) -> None:
    # Normalised text never has doubled or edge spaces (scikit-learn would collapse them) nor is empty.
    docs = [" ".join(d.split()) or "x" for d in docs]
    ngram_max, hash_bits = ngram_min + 2, 24
    ours = hash_char_ngrams(docs, ngram_min=ngram_min, ngram_max=ngram_max, hash_bits=hash_bits, seed=seed)
    padded = [f" {d} " for d in docs]
    if all(len(p) < ngram_min for p in padded):  # no n-gram this long anywhere (scikit-learn refuses)
        assert ours.nnz == 0
        return
    vectorizer = CountVectorizer(analyzer="char", ngram_range=(ngram_min, ngram_max), lowercase=False)
    reference = vectorizer.fit_transform(padded).tocsr()
    for i in range(len(docs)):
        assert as_dict(ours.getrow(i)) == expected_row(vectorizer, reference.getrow(i), hash_bits=hash_bits, seed=seed)


def test_a_known_document_column_by_column() -> None:
    ours = hash_char_ngrams(["aa"], ngram_min=1, ngram_max=2, hash_bits=30, seed=7).getrow(0)
    # " aa ": " " x2, "a" x2, " a", "aa", "a " once each
    expected = Counter({column_of(g, hash_bits=30, seed=7): 0 for g in (" ", "a", " a", "aa", "a ")})
    for gram in (" ", " ", "a", "a", " a", "aa", "a "):
        expected[column_of(gram, hash_bits=30, seed=7)] += 1
    assert as_dict(ours) == dict(expected)
    # another seed moves the n-grams to other columns
    assert as_dict(hash_char_ngrams(["aa"], ngram_min=1, ngram_max=2, hash_bits=30, seed=8).getrow(0)) != dict(expected)


@pytest.mark.parametrize("seed", [1, [1, 2, 3]])
def test_every_occurrence_has_the_column_of_the_text_it_points_at(seed) -> None:
    docs = ["nike air", "ナイキ", "ab"]
    occ = ngram_occurrences(docs, ngram_min=1, ngram_max=4, hash_bits=20, seed=seed)
    seeds = [seed] * 3 if isinstance(seed, int) else seed
    for d, start, n, col in zip(occ.doc, occ.start, occ.length, occ.column, strict=True):
        gram = f" {docs[d]} "[start + 1 : start + 1 + n]
        assert len(gram) == n
        assert col == column_of(gram, hash_bits=20, seed=seeds[d])
