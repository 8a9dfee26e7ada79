"""How sellers disguise a word, from trivial (upper case) to hard (a look-alike kanji).

Most disguises are undone by :mod:`listingguard.text.normalize`; the *hard* ones are not, so only a model
that has seen examples catches them. The simulator uses more hard disguises as days pass, which is what
makes rules written last month decay.
"""

from __future__ import annotations

import random
from collections.abc import Callable

import jaconv

Disguise = Callable[[str, random.Random], str]

_LEET = {"a": "4", "e": "3", "i": "1", "o": "0", "s": "5", "t": "7"}
_CYRILLIC = {"a": "а", "e": "е", "o": "о", "p": "р", "c": "с", "i": "і", "x": "х", "y": "у"}
_KANJI_LOOKALIKE = {"ト": "卜", "ロ": "口", "エ": "工", "カ": "力", "ニ": "二", "ー": "一", "タ": "夕", "ハ": "八"}
_SEPARATORS = [" ", ".", "・", "★", "-", "_", "☆"]
_EMOJI = ["🔥", "✨", "💯", "⭐", "🎁", "💎"]


def plain(word: str, rng: random.Random) -> str:
    return word


def upper(word: str, rng: random.Random) -> str:
    return word.upper()


def fullwidth(word: str, rng: random.Random) -> str:
    return jaconv.h2z(word, kana=True, ascii=True, digit=True)


def halfwidth_kana(word: str, rng: random.Random) -> str:
    return jaconv.z2h(word, kana=True, ascii=False, digit=False)


def hiragana(word: str, rng: random.Random) -> str:
    return jaconv.kata2hira(word)


def leet(word: str, rng: random.Random) -> str:
    chars = list(word)
    positions = [i for i, ch in enumerate(chars) if ch.lower() in _LEET and 0 < i < len(chars) - 1]
    for i in rng.sample(positions, k=min(len(positions), rng.randint(1, 2))):
        chars[i] = _LEET[chars[i].lower()]
    return "".join(chars)


def spaced(word: str, rng: random.Random) -> str:
    if " " in word or len(word) < 3:
        return word
    return rng.choice(_SEPARATORS).join(word)


def repeated(word: str, rng: random.Random) -> str:
    if len(word) < 2:
        return word
    i = rng.randrange(len(word))
    return word[:i] + word[i] * rng.randint(3, 5) + word[i + 1 :]


def zero_width(word: str, rng: random.Random) -> str:
    if len(word) < 2:
        return word
    i = rng.randrange(1, len(word))
    return word[:i] + "\u200b" + word[i:]


def homoglyph(word: str, rng: random.Random) -> str:
    return "".join(_CYRILLIC.get(ch, ch) if rng.random() < 0.5 else ch for ch in word)


def emoji_wrapped(word: str, rng: random.Random) -> str:
    mark = rng.choice(_EMOJI)
    return f"{mark}{word}{mark}"


def kanji_lookalike(word: str, rng: random.Random) -> str:
    """Swap a katakana for a kanji that looks the same; normalisation cannot undo this."""
    out = "".join(_KANJI_LOOKALIKE.get(ch, ch) for ch in word)
    return out if out != word else misspelled(word, rng)


def misspelled(word: str, rng: random.Random) -> str:
    """Drop or double one inner character; normalisation cannot undo this either."""
    if len(word) < 4:
        return word + word[-1]
    i = rng.randrange(1, len(word) - 1)
    return word[:i] + word[i + 1 :] if rng.random() < 0.5 else word[:i] + word[i] + word[i:]


EASY: tuple[Disguise, ...] = (
    upper,
    fullwidth,
    halfwidth_kana,
    hiragana,
    leet,
    spaced,
    repeated,
    zero_width,
    homoglyph,
    emoji_wrapped,
)
HARD: tuple[Disguise, ...] = (kanji_lookalike, misspelled)


# -- evasions that passed the rules as written (docs/evasions.md) ------------------------------------------
_LONG_VOWEL_LOOKALIKES = ("一", "－", "‐", "—")
_PHONETIC = (("c", "k"), ("k", "c"), ("ph", "f"), ("y", "i"), ("i", "y"))


def one_for_l(word: str, rng: random.Random) -> str:
    """``rep1ica``: the digit 1 for an inner l (normalisation reads it both ways)."""
    positions = [i for i, ch in enumerate(word) if ch.lower() == "l" and 0 < i < len(word) - 1]
    if not positions:
        return word
    i = rng.choice(positions)
    return word[:i] + "1" + word[i + 1 :]


def inner_dot(word: str, rng: random.Random) -> str:
    """``rep.lica``: a dot, asterisk or middle dot inside a Latin word."""
    if not word.isascii():
        return word
    inner = [i for i in range(2, len(word) - 1) if word[i - 1].isalpha() and word[i].isalpha()]
    if not inner:
        return word
    i = rng.choice(inner)
    return word[:i] + rng.choice(".*·") + word[i:]


def long_vowel_lookalike(word: str, rng: random.Random) -> str:
    """``スーパーコピ一``: the kanji one, a hyphen or a dash for the long-vowel mark."""
    if "ー" not in word:
        return word
    mark = rng.choice(_LONG_VOWEL_LOOKALIKES)
    return word.replace("ー", mark) if rng.random() < 0.5 else word[::-1].replace("ー", mark, 1)[::-1]


def joined(word: str, rng: random.Random) -> str:
    """``supercopy``: the words of a phrase run together."""
    return word.replace(" ", "")


def phonetic(word: str, rng: random.Random) -> str:
    """``replika``: one letter swapped for one that sounds alike (a rule with ``max_edits`` catches it).

    Only in words of six letters or more: in shorter ones the swap makes another word (``fake``, ``face``).
    """
    if not word.isascii() or len(word) < 6:
        return word
    options = [(a, b) for a, b in _PHONETIC if a in word[1:]]
    if not options:
        return word
    a, b = rng.choice(options)
    i = word.index(a, 1)
    return word[:i] + b + word[i + len(a) :]


EVASIONS: tuple[Disguise, ...] = (one_for_l, inner_dot, long_vowel_lookalike, joined, phonetic)


def evade(word: str, rng: random.Random) -> tuple[str, str]:
    """Write ``word`` with one of :data:`EVASIONS` that changes it, in random order.

    Returns the written word and the evasion's name (``plain`` when none applies, e.g. ``レプリカ``).
    """
    for fn in rng.sample(EVASIONS, k=len(EVASIONS)):
        out = fn(word, rng)
        if out != word:
            return out, fn.__name__
    return word, "plain"


def disguise(word: str, rng: random.Random, *, hard_share: float) -> tuple[str, str]:
    """Disguise ``word``; ``hard_share`` is the chance of a disguise that normalisation cannot undo.

    Returns the disguised word and the name of the disguise (kept in the listing's ``meta``).
    """
    fn = rng.choice(HARD) if rng.random() < hard_share else rng.choice(EASY)
    out = fn(word, rng)
    return out, fn.__name__
