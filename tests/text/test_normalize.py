"""Normalisation: the disguises it must undo, and properties that must hold for any Unicode string."""

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from listingguard.text.normalize import normalize, normalize_readings, normalize_with_offsets

DISGUISES = [
    ("NIKE", "nike"),
    ("nike", "nike"),
    ("ないき", "ナイキ"),
    ("ナイキ", "ナイキ"),
    ("ﾅｲｷ", "ナイキ"),
    ("n1ke", "nike"),
    ("ｖｕｉｔｔｏｎ", "vuitton"),
    ("N.I.K.E", "nike"),
    ("n-i-k-e", "nike"),
    ("ナ イ キ", "ナイキ"),
    ("ナ・イ・キ", "ナイキ"),
    ("ナ★イ★キ", "ナイキ"),
    ("niiiike", "nike"),
    ("Ⓝⓘⓚⓔ", "nike"),
    ("𝐍𝐈𝐊𝐄", "nike"),
    ("N̲I̲K̲E̲", "nike"),
    ("n\u200bike", "nike"),
    ("nіke", "nike"),  # Cyrillic і
    ("L0UIS V1TT0N", "louis vitton"),
    ("Hermès", "hermes"),
    ("ｶﾞﾝ", "ガン"),
    ("がん", "ガン"),
    ("🔥NIKE🔥 shoes", "nike shoes"),
]


@pytest.mark.parametrize(("raw", "expected"), DISGUISES)
def test_disguises_fold_to_one_form(raw: str, expected: str) -> None:
    assert normalize(raw) == expected


@pytest.mark.parametrize("raw", ["iphone13", "ps5", "定価10000円", "1 2 3", "size 27.5cm", "good"])
def test_model_numbers_prices_and_plain_words_survive(raw: str) -> None:
    assert normalize(raw) == raw.lower()


def test_offsets_highlight_what_the_seller_wrote() -> None:
    raw = "Brand new Ｎ.Ｉ.Ｋ.Ｅ shoes"
    nt = normalize_with_offsets(raw)
    start = nt.text.index("nike")
    assert nt.original_fragment(start, start + 4) == "Ｎ.Ｉ.Ｋ.Ｅ"


def test_offsets_of_leet_and_kana() -> None:
    raw = "激安 ないき n1ke"
    nt = normalize_with_offsets(raw)
    assert nt.text == "激安 ナイキ nike"
    assert nt.original_fragment(3, 6) == "ないき"
    assert nt.original_fragment(7, 11) == "n1ke"


def test_original_span_rejects_spans_outside_the_text() -> None:
    nt = normalize_with_offsets("abc")
    with pytest.raises(ValueError, match="outside"):
        nt.original_span(2, 9)


unicode_text = st.text(alphabet=st.characters(codec=None, exclude_categories=()), max_size=60)
# Text drawn from the characters sellers actually combine, so the interesting paths are exercised often.
seller_text = st.text(
    alphabet=st.sampled_from(
        list("nikeNIKE013457@$!|.-_ ・★🔥ないきナイキﾅｲｷｶﾞﾞﾟ\u3099\u200bｖｕＮ𝐍Ⓝі é\u0301\u0332aaaa一－‐—ー覧*'lr")
    ),
    max_size=40,
)


@settings(max_examples=400, deadline=None)
@given(st.one_of(unicode_text, seller_text))
@example("\ud800broken surrogate")
@example("ᄀ\u200bᅡ")
@example("aaa b c")
@example("o0o a b")
def test_normalize_is_idempotent_and_total(raw: str) -> None:
    once = normalize(raw)
    assert normalize(once) == once


@settings(max_examples=400, deadline=None)
@given(st.one_of(unicode_text, seller_text))
@example("\ud800broken surrogate")
@example("o0o a b")
def test_tracked_path_agrees_and_offsets_are_valid(raw: str) -> None:
    nt = normalize_with_offsets(raw)
    assert nt.text == normalize(raw)
    assert len(nt.starts) == len(nt.ends) == len(nt.text)
    for start, end in zip(nt.starts, nt.ends, strict=True):
        assert 0 <= start < end <= len(raw)
    if nt.text:
        a, b = nt.original_span(0, len(nt.text))
        assert 0 <= a < b <= len(raw)


# Evasions that used to pass as written (docs/evasions.md).
CONFUSABLE_FOLDS = [
    ("スーパーコピ一", "スーパーコピー"),  # the kanji one for the long-vowel mark
    ("スーパーコピ－", "スーパーコピー"),  # full-width hyphen
    ("ス‐パ‐コピ‐", "スーパーコピー"),  # hyphens
    ("スーパーコピ—", "スーパーコピー"),  # em dash
    ("すーぱーこぴ一です", "スーパーコピーデス"),  # hiragana, then a kana after the look-alike
    ("rep.lica", "replica"),  # a dot inside a word
    ("rep*lica", "replica"),
    ("rep·lica", "replica"),
    ("rep.1ica", "repiica"),  # a dot before a digit that stands for a letter
    ("Levi's", "levis"),
]


@pytest.mark.parametrize(("raw", "expected"), CONFUSABLE_FOLDS)
def test_confusables_fold(raw: str, expected: str) -> None:
    assert normalize(raw) == expected
    assert normalize_with_offsets(raw).text == expected


@pytest.mark.parametrize(
    "raw",
    [
        "カード一枚",  # one card: the kanji one before a kanji is a number
        "ページ一覧",
        "セット一点",
        "タイプ-a",  # a hyphen before a Latin letter or digit is a hyphen
        "サイズ-2",
        "3.5mm",  # numbers keep their dots
        "no.1",
        "ver.2.0",
        "¥2,500",
        "1:1 copy",
        "t-shirt",  # hyphens inside Latin words are not dots
    ],
)
def test_lookalikes_that_mean_something_stay(raw: str) -> None:
    assert normalize(raw) == raw.lower()


@pytest.mark.parametrize(
    ("raw", "primary", "alternate"),
    [
        ("rep1ica", "repiica", "replica"),
        ("n1ke", "nike", "nlke"),
        ("b1ack rep1ica", "biack repiica", "black replica"),
        ("a|bum", "album", "aibum"),
        ("ｒｅｐ１ｉｃａ", "repiica", "replica"),
        ("r.e.p.1.i.c.a", "repiica", "replica"),
    ],
)
def test_ambiguous_digits_are_read_both_ways(raw: str, primary: str, alternate: str) -> None:
    assert normalize_readings(raw) == (primary, alternate)
    nt = normalize_with_offsets(raw, "alternate")
    assert nt.text == alternate
    start = alternate.index(alternate.split()[-1])
    assert nt.original_fragment(start, len(alternate)) == raw.split()[-1]


@pytest.mark.parametrize("raw", ["iphone13 ¥12,000", "ps5", "1:1 copy", "定価10000円", "size 27.5cm", "nike", "l0ve"])
def test_numbers_have_no_second_reading(raw: str) -> None:
    """Prices and model numbers are not letters in either reading: only a digit between letters is."""
    assert normalize_readings(raw) == (normalize(raw), None)


@settings(max_examples=300, deadline=None)
@given(st.one_of(unicode_text, seller_text))
@example("rep1ica")
def test_alternate_reading_agrees_with_its_tracked_path(raw: str) -> None:
    primary, alternate = normalize_readings(raw)
    assert primary == normalize(raw)
    if alternate is not None:
        nt = normalize_with_offsets(raw, "alternate")
        assert nt.text == alternate
        assert all(0 <= a < b <= len(raw) for a, b in zip(nt.starts, nt.ends, strict=True))
