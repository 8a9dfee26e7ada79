"""Every entry of the normalisation tables, spelled out: the mutation run found that a changed entry of
``LEET_MAP``, ``CONFUSABLES`` or the long-vowel look-alikes went unnoticed (the other tests use a few of
each). The expected letters are written here, not read from the tables, so a changed entry fails."""

import pytest

from listingguard.text.normalize import normalize, normalize_readings

# what a digit or symbol between letters reads as (``kw?rt``)
LEET = {
    "0": "o",
    "1": "i",
    "3": "e",
    "4": "a",
    "5": "s",
    "7": "t",
    "8": "b",
    "9": "g",
    "@": "a",
    "$": "s",
    "!": "i",
    "|": "l",
    "€": "e",
}

# letters of other scripts that look Latin, after case folding
CONFUSABLE = {
    "а": "a",
    "в": "b",
    "е": "e",
    "ё": "e",
    "з": "e",
    "и": "u",
    "і": "i",
    "ї": "i",
    "ј": "j",
    "к": "k",
    "м": "m",
    "н": "h",
    "о": "o",
    "р": "p",
    "с": "c",
    "т": "t",
    "у": "y",
    "х": "x",
    "ѕ": "s",
    "ԁ": "d",
    "ɡ": "g",
    "ԛ": "q",
    "ԝ": "w",
    "α": "a",
    "β": "b",
    "ε": "e",
    "η": "n",
    "ι": "i",
    "κ": "k",
    "ν": "v",
    "ο": "o",
    "ρ": "p",
    "τ": "t",
    "υ": "u",
    "χ": "x",
    "ω": "w",
    "ø": "o",
    "ł": "l",
    "đ": "d",
    "ħ": "h",
    "ı": "i",
    "ŧ": "t",
    "æ": "ae",
    "œ": "oe",
    "þ": "th",
}


@pytest.mark.parametrize(("char", "letters"), sorted(LEET.items()))
def test_a_digit_or_symbol_between_letters_reads_as_a_letter(char: str, letters: str) -> None:
    assert normalize(f"kw{char}rt") == f"kw{letters}rt"


@pytest.mark.parametrize(("char", "letters"), sorted(CONFUSABLE.items()))
def test_a_look_alike_letter_reads_as_latin(char: str, letters: str) -> None:
    assert normalize(f"kw{char}rt") == f"kw{letters}rt"


@pytest.mark.parametrize(("char", "other"), [("1", "l"), ("|", "i")])
def test_an_ambiguous_digit_has_a_second_reading(char: str, other: str) -> None:
    assert normalize_readings(f"kw{char}rt")[1] == f"kw{other}rt"
    assert normalize_readings("kwart")[1] is None  # nothing ambiguous, no second reading


@pytest.mark.parametrize("mark", list("一-\u2010\u2011\u2012\u2013\u2014\u2015\u2212"))
def test_long_vowel_look_alikes_after_katakana(mark: str) -> None:
    assert normalize(f"スーパーコピ{mark}") == "スーパーコピー"
    assert normalize(f"カード{mark}枚").endswith("枚")  # before a kanji it stays what it was
