"""Features: the numpy n-gram hasher counts exactly what scikit-learn counts; price features behave."""

import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.feature_extraction.text import CountVectorizer

from listingguard.detection.features import (
    FeatureSpec,
    ListingFeaturizer,
    _Entries,
    hash_char_ngrams,
    ngram_counts,
    ngram_occurrences,
)
from listingguard.listings.batch import ListingBatch
from tests.conftest import listing


@settings(max_examples=60, deadline=None)
@given(st.lists(st.text(alphabet="abcナイキ 1", max_size=25), min_size=1, max_size=6))
def test_counts_match_scikit_learn(docs: list[str]) -> None:
    # Normalised text never has doubled or edge spaces (scikit-learn would collapse them) nor is empty.
    docs = [" ".join(d.split()) or "x" for d in docs]
    ours = hash_char_ngrams(docs, ngram_min=1, ngram_max=3, hash_bits=30, seed=7)
    padded = [f" {d} " for d in docs]
    theirs = CountVectorizer(analyzer="char", ngram_range=(1, 3), lowercase=False).fit(padded)
    reference = theirs.transform(padded)
    for i in range(len(docs)):
        assert sorted(ours.getrow(i).data.tolist()) == sorted(reference.getrow(i).data.astype(np.float32).tolist())


def test_short_documents_and_long_ngrams() -> None:
    """A batch shorter than the longest n-gram used to fail with a shape error; it simply has fewer n-grams."""
    assert hash_char_ngrams([""], ngram_min=1, ngram_max=5, hash_bits=20, seed=1).nnz == 2  # " ", "  "
    counts = hash_char_ngrams(["ab"], ngram_min=1, ngram_max=8, hash_bits=30, seed=1)
    assert counts.sum() == 4 + 3 + 2 + 1  # every n-gram of " ab ", none longer


def test_occurrence_offsets_point_into_the_document() -> None:
    docs = ["nike air", "ナイキ"]
    occ = ngram_occurrences(docs, ngram_min=2, ngram_max=3, hash_bits=20, seed=1)
    for d, start, n in zip(occ.doc, occ.start, occ.length, strict=True):
        padded = f" {docs[d]} "
        assert len(padded[start + 1 : start + 1 + n]) == n


def test_same_text_same_columns_regardless_of_batch() -> None:
    a = hash_char_ngrams(["gucci bag"], ngram_min=1, ngram_max=4, hash_bits=20, seed=3)
    b = hash_char_ngrams(["other", "gucci bag", "x"], ngram_min=1, ngram_max=4, hash_bits=20, seed=3)
    assert (a.getrow(0) != b.getrow(1)).nnz == 0


def test_one_seed_per_document_hashes_like_separate_passes() -> None:
    titles, descriptions = ["nike air", "", "ナイキ"], ["sneakers, worn twice", "x", ""]
    kwargs = {"ngram_min": 1, "ngram_max": 4, "hash_bits": 20}
    together = hash_char_ngrams([*titles, *descriptions], seed=[3] * 3 + [5] * 3, **kwargs)
    apart = sp.vstack([hash_char_ngrams(titles, seed=3, **kwargs), hash_char_ngrams(descriptions, seed=5, **kwargs)])
    assert (together != apart).nnz == 0
    assert (hash_char_ngrams(titles, seed=3, **kwargs) != hash_char_ngrams(titles, seed=5, **kwargs)).nnz > 0
    with pytest.raises(ValueError, match="2 seeds for 3 documents"):
        ngram_occurrences(titles, seed=[3, 5], **kwargs)


def test_featurizer_learns_medians_and_round_trips(tmp_path) -> None:
    batch = ListingBatch.from_records(
        [listing(id=f"x{i}", price=1000 * (i + 1), category="bags" if i % 2 else "shoes") for i in range(10)]
    )
    f = ListingFeaturizer(FeatureSpec(hash_bits=16)).fit(batch)
    assert f.category_medians_["shoes"] == pytest.approx(5000)
    X = f.transform(batch)
    assert X.shape == (10, f.n_features)
    meta, arrays = f.state()
    again = ListingFeaturizer.from_state(meta, arrays).transform(batch)
    assert abs(X - again).max() == 0
    ratios = f.price_ratios(
        ListingBatch.from_records([listing(price=500, category="shoes"), listing(price=500, category="unseen")])
    )
    assert ratios[0] == pytest.approx(0.1) and ratios[1] > 0


SWITCH_DOCS = [
    listing(id="s1", title="ナイキ スニーカー 新品", description="サイズが合わなくなったので出品します", price=9000),
    listing(id="s2", title="WIN £1000 cash!", description="txt WIN to 80086 now, call 09061701461", price=100),
    listing(id="s3", title="Canon EOS 5D body", description="shutter count 12000, works fine", price=60000),
]


@pytest.mark.parametrize(
    "switch",
    [
        {"raw_ngrams": True},
        {"tokenizer": "sudachi"},
        {"tokenizer": "fugashi"},
        {"embeddings": True, "embedding_weight": 0.5},
    ],
    ids=["raw_ngrams", "sudachi", "fugashi", "embeddings"],
)
def test_feature_switches_add_columns_and_round_trip(switch: dict) -> None:
    """Each optional block changes the matrix (only) by what it adds, and survives the model directory."""
    batch = ListingBatch.from_records(SWITCH_DOCS)
    plain = ListingFeaturizer(FeatureSpec(hash_bits=16)).fit(batch)
    switched = ListingFeaturizer(FeatureSpec(hash_bits=16, **switch)).fit(batch)
    X0, X1 = plain.transform(batch), switched.transform(batch)
    assert X1.shape == (3, switched.n_features)
    assert abs(X1[:, : X0.shape[1]] - X0).max() > 0 or X1.shape[1] > X0.shape[1]
    if switch.get("embeddings"):
        dense = X1[:, X0.shape[1] :].toarray()
        assert dense.shape[1] == 512
        assert np.allclose(np.linalg.norm(dense, axis=1), 0.5, atol=1e-3)  # unit vectors x weight
        assert abs(X1[:, : X0.shape[1]] - X0).max() == 0  # the n-gram part is untouched
    else:
        assert X1.nnz > X0.nnz  # new hashed columns (words or raw n-grams) beside the normalised n-grams
    meta, arrays = switched.state()
    again = ListingFeaturizer.from_state(meta, arrays).transform(batch)
    assert abs(X1 - again).max() < 1e-6


def test_raw_ngrams_keep_what_normalisation_folds() -> None:
    """Normalisation folds case and runs of punctuation; the raw block still tells them apart."""
    a = ListingBatch.from_records([listing(id="a", title="FREE!!! WIN", description="")])
    b = ListingBatch.from_records([listing(id="b", title="free! win", description="")])
    assert a.norm_titles == b.norm_titles
    f = ListingFeaturizer(FeatureSpec(hash_bits=18, raw_ngrams=True)).fit(ListingBatch.from_records(SWITCH_DOCS))
    plain = ListingFeaturizer(FeatureSpec(hash_bits=18)).fit(ListingBatch.from_records(SWITCH_DOCS))
    assert abs(plain.transform(a) - plain.transform(b)).max() == 0
    assert abs(f.transform(a) - f.transform(b)).max() > 0


def test_entries_sum_like_scipy_and_keep_every_row() -> None:
    """The one-pass assembly of the feature matrix equals summing COO entries with scipy."""
    rng = np.random.default_rng(7)
    entries = _Entries([], [], [])
    rows_all, cols_all, data_all = [], [], []
    for _ in range(4):  # blocks overlapping in position, as text and categorical columns do
        rows = rng.integers(0, 5, size=30)  # row 5 gets nothing: it must still exist, empty
        cols = rng.integers(0, 40, size=30)
        data = rng.normal(size=30).astype(np.float32)
        entries.add(rows, cols, data)
        rows_all.append(rows)
        cols_all.append(cols)
        data_all.append(data)
    got = entries.to_csr((6, 40))
    expected = sp.coo_matrix(
        (np.concatenate(data_all), (np.concatenate(rows_all), np.concatenate(cols_all))), shape=(6, 40)
    ).tocsr()
    assert got.shape == (6, 40) and got.has_canonical_format and got.getrow(5).nnz == 0  # summed, sorted
    np.testing.assert_allclose(got.toarray(), expected.toarray(), rtol=1e-6)
    assert _Entries([], [], []).to_csr((3, 4)).shape == (3, 4)


def test_an_empty_batch_has_no_ngrams() -> None:
    rows, cols, counts = ngram_counts([], ngram_min=1, ngram_max=4, hash_bits=20, seed=[])
    assert len(rows) == len(cols) == len(counts) == 0
    featurizer = ListingFeaturizer(FeatureSpec(hash_bits=16)).fit(ListingBatch.from_records([listing()]))
    assert featurizer.transform(ListingBatch.from_records([])).shape == (0, featurizer.n_features)
