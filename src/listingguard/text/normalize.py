"""Text normalisation that undoes the disguises sellers use, with offsets back to the original.

Sellers write a banned word many ways: ``NIKE``, ``ｎｉｋｅ``, ``ないき``, ``ﾅｲｷ``, ``n1ke``, ``N.I.K.E``,
``ナ★イ★キ``, ``niiiike``, ``nіke`` (Cyrillic і). Rules and detectors all see one canonical form, and every
character of that form remembers which span of the original text it came from, so a hit found in the
normalised text can be highlighted where the seller wrote it.

Two code paths compute the same string:

* :func:`normalize` is the fast path used when scoring millions of listings. It works on whole strings with
  C-implemented primitives (``unicodedata``, ``str.translate``, compiled regular expressions).
* :func:`normalize_with_offsets` tracks, for each output character, the ``[start, end)`` span of the input
  it came from. It is slower and is used for the few listings whose hits must be explained.

Property tests check that both agree, that normalisation is idempotent, never raises on any Unicode string
and that every offset is valid.

The pipeline
------------
Stage A, applied once:

1. drop combining marks (accents, decoration such as ``N̲I̲K̲E̲``), format characters (zero-width spaces,
   joiners, bidi controls) and Hangul conjoining jamo; turn control, private-use and surrogate code points
   into spaces. Kana voicing marks are kept so that ``カ゛`` composes to ``ガ``;
2. Unicode NFKC (full width to half width for ASCII, half width to full width for katakana, circled and
   mathematical letters to plain letters);
3. case folding;
4. a per-character table: hiragana to katakana, Latin letters with diacritics and look-alike Cyrillic or
   Greek letters to ASCII, symbols and emoji (decoration) to spaces, leftover marks removed.

Stage B, repeated until nothing changes (each pass only shortens the text or turns digits into letters, so
it ends):

5. runs of three or more identical non-digit characters collapse to one (``niiiike``);
6. three or more single characters separated by spaces or punctuation join (``n.i.k.e``, ``ナ イ キ``);
7. look-alikes of the katakana long-vowel mark after a katakana letter become ``ー``: the kanji ``一``, hyphens
   and dashes (``スーパーコピ一``, ``ス－パ－コピ－``). Not before a kanji, a Latin letter or a digit, so
   ``カード一枚``, ``ページ一覧`` and ``タイプ-a`` keep their meaning;
8. a dot, middle dot, apostrophe, asterisk or underscore inside a Latin word is dropped (``rep.lica``,
   ``rep*lica``, ``levi's``), while numbers such as ``3.5`` or ``no.1`` keep theirs;
9. digits and symbols used as letters become letters inside words that contain them between letters
   (``n1ke``, ``l0uis v1tt0n``), while model numbers such as ``iphone13`` or ``ps5`` stay;
10. whitespace collapses to single spaces and the ends are trimmed.

Some digits stand for two letters: ``1`` is ``i`` in ``n1ke`` and ``l`` in ``rep1ica``; ``|`` is ``l`` or
``i``. The canonical text takes the first reading (:data:`LEET_MAP`); :func:`normalize_readings` also
returns the text with the other one (:data:`ALTERNATE_LEET`) when the text has such a character inside a
word, and the rules scan both. Prices and model numbers are never read as letters in either reading: a
digit becomes a letter only in a run of digits and symbols with a letter on each side (``b1ack``), never
at the start or end of a word (``ps5``, ``iphone13``, ``1:1``) or in a number (``2,500``, ``3.5mm``).
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

import jaconv

__all__ = ["NormalizedText", "Reading", "normalize", "normalize_readings", "normalize_with_offsets"]

Reading = Literal["primary", "alternate"]

# Digits and symbols that sellers use as letters.
LEET_MAP: dict[str, str] = {
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

# The other letter an ambiguous digit or symbol may stand for (``rep1ica``, ``a|bum``).
ALTERNATE_LEET: dict[str, str] = {"1": "l", "|": "i"}

# Look-alikes of the long-vowel mark ``ー`` (the kanji one, hyphens, dashes, minus); ``ｰ`` and ``⼀`` reach
# these forms through NFKC.
LONG_VOWEL_LOOKALIKES = "一-\u2010\u2011\u2012\u2013\u2014\u2015\u2212"

# Letters from other scripts that look like Latin ones (after case folding).
CONFUSABLES: dict[str, str] = {
    # Cyrillic
    "а": "a", "в": "b", "е": "e", "ё": "e", "з": "3", "и": "u", "і": "i", "ї": "i", "ј": "j", "к": "k",
    "м": "m", "н": "h", "о": "o", "р": "p", "с": "c", "т": "t", "у": "y", "х": "x", "ѕ": "s", "ԁ": "d",
    "ɡ": "g", "ԛ": "q", "ԝ": "w",
    # Greek
    "α": "a", "β": "b", "ε": "e", "η": "n", "ι": "i", "κ": "k", "ν": "v", "ο": "o", "ρ": "p", "τ": "t",
    "υ": "u", "χ": "x", "ω": "w",
    # Latin letters without a decomposition
    "ø": "o", "ł": "l", "đ": "d", "ħ": "h", "ı": "i", "ŧ": "t", "æ": "ae", "œ": "oe", "þ": "th",
}  # fmt: skip

# Characters that separate the letters of a spelled-out word (``N.I.K.E``, ``ナ・イ・キ``).
_SEPARATORS = r"\s.\-_*・/\\|+~=^:;,'\"`"
_WORD = r"[^\W_]"

_KANA_VOICING = {"\u3099", "\u309a"}
_ATTACHES_TO_PREVIOUS = {"\u3099", "\u309a", "\uff9e", "\uff9f"}


def _is_conjoining_jamo(cp: int) -> bool:
    return 0x1100 <= cp <= 0x11FF or 0xA960 <= cp <= 0xA97F or 0xD7B0 <= cp <= 0xD7FF


def _scanned_code_points() -> list[int]:
    # Planes 0-3 hold every assigned character we care about; plane 14 holds tags and variation
    # selectors (format characters and marks). Private-use planes are handled by a regex.
    return [*range(0x40000), *range(0xE0000, 0xE0200)]


def _ranges_class(code_points: list[int]) -> str:
    """Compile a sorted list of code points into a compact regex character class."""
    parts: list[str] = []
    start = prev = -2
    for cp in [*code_points, -10]:
        if cp == prev + 1:
            prev = cp
            continue
        if start >= 0:
            parts.append(re.escape(chr(start)) if start == prev else f"{re.escape(chr(start))}-{re.escape(chr(prev))}")
        start = prev = cp
    return "[" + "".join(parts) + "]"


@dataclass(frozen=True, slots=True)
class _Tables:
    """Compiled character tables; built once because scanning the code space takes about 0.2 s."""

    drop_bmp: re.Pattern[str]
    drop_astral: re.Pattern[str]
    astral: re.Pattern[str]
    to_space: re.Pattern[str]
    mapped: re.Pattern[str]
    table: dict[int, str | None]

    def translate_run(self, match: re.Match[str]) -> str:
        return match.group(0).translate(self.table)


@functools.cache
def _tables() -> _Tables:
    drop: list[int] = []
    to_space: list[int] = []
    table: dict[int, str | None] = {}
    for cp in _scanned_code_points():
        ch = chr(cp)
        cat = unicodedata.category(ch)
        if ch in _KANA_VOICING:
            continue
        if cat in ("Mn", "Mc", "Me", "Cf") or _is_conjoining_jamo(cp):
            drop.append(cp)
            table[cp] = None
        elif cat in ("Cc", "Zl", "Zp") and ch != " ":
            to_space.append(cp)
        if cat in ("So", "Sk", "Cc", "Zs", "Zl", "Zp") and ch != " ":
            table[cp] = " "
        elif cat.startswith("L") and cp >= 0x80 and cp not in table:
            base = unicodedata.normalize("NFKD", ch)
            stripped = "".join(c for c in base if not unicodedata.category(c).startswith("M"))
            if stripped != ch and stripped.isascii() and stripped.isalpha():
                table[cp] = stripped.lower()
    for cp in range(0x3041, 0x3097):
        table[cp] = jaconv.hira2kata(chr(cp))
    table[0x309D] = "ヽ"
    table[0x309E] = "ヾ"
    table[0x3099] = None  # a voicing mark that did not compose with a kana is decoration
    table[0x309A] = None
    for src, dst in CONFUSABLES.items():
        table[ord(src)] = dst
    # Python's regex engine scans classes of BMP characters with a bitmap but classes of astral
    # characters range by range, so the astral part only runs when the text has astral characters.
    return _Tables(
        drop_bmp=re.compile(_ranges_class([cp for cp in drop if cp < 0x10000])),
        drop_astral=re.compile(_ranges_class([cp for cp in drop if cp >= 0x10000])),
        astral=re.compile("[\U00010000-\U0010ffff]"),
        to_space=re.compile(_ranges_class(to_space)[:-1] + "\ue000-\uf8ff\U000f0000-\U0010ffff\ud800-\udfff]"),
        mapped=re.compile(_ranges_class(sorted(cp for cp in table if cp < 0x10000))[:-1] + "\U00010000-\U0010ffff]+"),
        table=table,
    )


_REPEAT = re.compile(r"(.)\1\1+")
_SPELLED = re.compile(rf"(?<!{_WORD}){_WORD}(?:[{_SEPARATORS}]+{_WORD}(?!{_WORD})){{2,}}")
_SPELLED_HINT = re.compile(rf"{_WORD}[{_SEPARATORS}]+{_WORD}[{_SEPARATORS}]+{_WORD}")
_SEPARATOR_CHARS = re.compile(rf"[{_SEPARATORS}]+")
_LEET_CHARS = "".join(re.escape(c) for c in LEET_MAP)
_LEET_TOKEN = re.compile(rf"[a-z{_LEET_CHARS}]*[a-z][{_LEET_CHARS}]+[a-z][a-z{_LEET_CHARS}]*")
_LEET_HINT = re.compile(rf"[a-z][{_LEET_CHARS}]+[a-z]")
_LEET_TRANSLATION = str.maketrans(LEET_MAP)
_ALTERNATE_TRANSLATION = str.maketrans({**LEET_MAP, **ALTERNATE_LEET})
_AMBIGUOUS = re.compile("[" + re.escape("".join(ALTERNATE_LEET)) + "]")
_WHITESPACE = re.compile(r"\s+")
_KATAKANA = "\u30a1-\u30fa\u30fc"
_KANJI = "\u3005\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_LONG_VOWEL = re.compile(rf"(?<=[{_KATAKANA}])[{re.escape(LONG_VOWEL_LOOKALIKES)}](?![{_KANJI}a-z0-9])")
_INNER_PUNCT = re.compile(rf"(?<=[a-z])[.\u00b7\u2022\u2027\u2219'*_]+(?=[{_LEET_CHARS}]*[a-z])")


def _repeat_replacement(match: re.Match[str]) -> str:
    char = match.group(1)
    return match.group(0) if char.isdigit() or char.isspace() else char


def _spelled_replacement(match: re.Match[str]) -> str:
    text = match.group(0)
    joined = _SEPARATOR_CHARS.sub("", text)
    return text if joined.isdigit() else joined


def _leet_replacement(match: re.Match[str], translation: dict[int, str] = _LEET_TRANSLATION) -> str:
    token = match.group(0)
    if sum(c.isalpha() for c in token) < 2:
        return token
    return token.translate(translation)


def _alternate_leet_replacement(match: re.Match[str]) -> str:
    return _leet_replacement(match, _ALTERNATE_TRANSLATION)


def _stage_a(text: str) -> str:
    tables = _tables()
    text = tables.drop_bmp.sub("", text)
    if tables.astral.search(text):
        text = tables.drop_astral.sub("", text)
    text = tables.to_space.sub(" ", text)
    text = unicodedata.normalize("NFKC", text).casefold()
    return tables.mapped.sub(tables.translate_run, text)


def _stage_b(text: str, alternate: bool = False) -> tuple[str, bool]:
    """One pass of stage B; also says whether a digit or symbol with two readings was read as a letter."""
    # Each regular expression is guarded by a cheaper search: most listings need none of them.
    if _REPEAT.search(text):
        text = _REPEAT.sub(_repeat_replacement, text)
    if _SPELLED_HINT.search(text):
        text = _SPELLED.sub(_spelled_replacement, text)
    if _LONG_VOWEL.search(text):
        text = _LONG_VOWEL.sub("ー", text)
    if _INNER_PUNCT.search(text):
        text = _INNER_PUNCT.sub("", text)
    ambiguous = False
    if _LEET_HINT.search(text):
        before = text
        text = _LEET_TOKEN.sub(_alternate_leet_replacement if alternate else _leet_replacement, before)
        ambiguous = text != before and _AMBIGUOUS.search(before) is not None
    return " ".join(text.split()), ambiguous


def _stage_b_until_fixed(text: str, alternate: bool = False) -> tuple[str, bool]:
    ambiguous = False
    while True:
        again, seen = _stage_b(text, alternate)
        ambiguous = ambiguous or seen
        if again == text:
            return text, ambiguous
        text = again


def normalize(text: str) -> str:
    """Return the canonical form of ``text`` used by rules and detectors.

    Never raises for any ``str`` (including lone surrogates from broken input), and
    ``normalize(normalize(s)) == normalize(s)``.
    """
    return _stage_b_until_fixed(_stage_a(text))[0]


def normalize_readings(text: str) -> tuple[str, str | None]:
    """The canonical form and, when it differs, the form with the other reading of ambiguous digits.

    ``normalize_readings("rep1ica") == ("repiica", "replica")``; ``normalize_readings("n1ke")`` is
    ``("nike", "nlke")``; a text without such a digit inside a word gets ``(normalize(text), None)``. The
    second pass runs only for those texts, so this costs what :func:`normalize` costs for almost all.
    """
    stage_a = _stage_a(text)
    primary, ambiguous = _stage_b_until_fixed(stage_a)
    if not ambiguous:
        return primary, None
    alternate = _stage_b_until_fixed(stage_a, alternate=True)[0]
    return primary, (alternate if alternate != primary else None)


@dataclass(frozen=True, slots=True)
class NormalizedText:
    """A normalised string plus, for each of its characters, the span of the original it came from.

    Attributes
    ----------
    original : str
        The text as the seller wrote it.
    text : str
        The normalised text, equal to ``normalize(original)``.
    starts, ends : tuple of int
        ``original[starts[i]:ends[i]]`` is the part of the original that produced ``text[i]``.
    """

    original: str
    text: str
    starts: tuple[int, ...]
    ends: tuple[int, ...]

    def original_span(self, start: int, end: int) -> tuple[int, int]:
        """Map the normalised span ``[start, end)`` to the smallest original span covering it."""
        if not 0 <= start < end <= len(self.text):
            raise ValueError(f"span [{start}, {end}) is outside the normalised text of length {len(self.text)}")
        return self.starts[start], max(self.ends[start:end])

    def original_fragment(self, start: int, end: int) -> str:
        """Return the original text behind the normalised span ``[start, end)``."""
        a, b = self.original_span(start, end)
        return self.original[a:b]


class _Tracked:
    """A string under construction where every character carries its original span."""

    __slots__ = ("chars", "ends", "starts")

    def __init__(self, chars: list[str], starts: list[int], ends: list[int]) -> None:
        self.chars = chars
        self.starts = starts
        self.ends = ends

    @classmethod
    def of(cls, text: str) -> _Tracked:
        return cls(list(text), list(range(len(text))), list(range(1, len(text) + 1)))

    @property
    def text(self) -> str:
        return "".join(self.chars)

    def map_pieces(self, pieces: list[tuple[str, int, int]]) -> _Tracked:
        """Replace the content by ``(output, first_index, last_index)`` pieces over the current chars."""
        chars: list[str] = []
        starts: list[int] = []
        ends: list[int] = []
        for out, first, last in pieces:
            start = self.starts[first]
            end = self.ends[first] if first == last else max(self.ends[first : last + 1])
            if len(out) == 1:
                chars.append(out)
                starts.append(start)
                ends.append(end)
                continue
            for ch in out:
                chars.append(ch)
                starts.append(start)
                ends.append(end)
        return _Tracked(chars, starts, ends)

    def sub(self, pattern: re.Pattern[str], replace: Callable[[re.Match[str]], list[tuple[str, int]]]) -> _Tracked:
        """Regex substitution where ``replace`` returns ``(output, index_in_match)`` pairs.

        Each output character keeps the span of the match character it is tied to; an index of -1 ties it
        to the whole match. Text between matches is copied with its spans unchanged.
        """
        matches = list(pattern.finditer(self.text))
        if not matches:
            return self
        chars: list[str] = []
        starts: list[int] = []
        ends: list[int] = []
        pos = 0
        for match in matches:
            a, b = match.start(), match.end()
            chars.extend(self.chars[pos:a])
            starts.extend(self.starts[pos:a])
            ends.extend(self.ends[pos:a])
            for out, index in replace(match):
                if index < 0:
                    start, end = self.starts[a], max(self.ends[a:b])
                else:
                    start, end = self.starts[a + index], self.ends[a + index]
                for ch in out:
                    chars.append(ch)
                    starts.append(start)
                    ends.append(end)
            pos = b
        chars.extend(self.chars[pos:])
        starts.extend(self.starts[pos:])
        ends.extend(self.ends[pos:])
        return _Tracked(chars, starts, ends)


def _nfkc_segments(text: str) -> list[tuple[int, int]]:
    """Split into segments that NFKC can normalise independently (a base plus its voicing marks)."""
    segments: list[tuple[int, int]] = []
    start = 0
    for i in range(1, len(text)):
        if text[i] not in _ATTACHES_TO_PREVIOUS:
            segments.append((start, i))
            start = i
    if text:
        segments.append((start, len(text)))
    return segments


def _tracked_stage_a(tracked: _Tracked) -> _Tracked:
    tables = _tables()
    tracked = tracked.sub(tables.drop_bmp, lambda m: [])
    tracked = tracked.sub(tables.drop_astral, lambda m: [])
    tracked = tracked.sub(tables.to_space, lambda m: [(" ", 0)])
    text = tracked.text
    pieces = [(unicodedata.normalize("NFKC", text[a:b]).casefold(), a, b - 1) for a, b in _nfkc_segments(text)]
    tracked = tracked.map_pieces(pieces)
    return tracked.sub(tables.mapped, lambda m: [(ch.translate(tables.table), i) for i, ch in enumerate(m.group(0))])


def _tracked_stage_b(tracked: _Tracked, alternate: bool = False) -> _Tracked:
    def repeat(match: re.Match[str]) -> list[tuple[str, int]]:
        out = _repeat_replacement(match)
        if out == match.group(0):
            return [(ch, i) for i, ch in enumerate(out)]
        return [(out, -1)]

    tracked = tracked.sub(_REPEAT, repeat)

    def spelled(match: re.Match[str]) -> list[tuple[str, int]]:
        text = match.group(0)
        if _spelled_replacement(match) == text:
            return [(ch, i) for i, ch in enumerate(text)]
        return [(ch, i) for i, ch in enumerate(text) if not _SEPARATOR_CHARS.fullmatch(ch)]

    tracked = tracked.sub(_SPELLED, spelled)
    tracked = tracked.sub(_LONG_VOWEL, lambda m: [("ー", 0)])
    tracked = tracked.sub(_INNER_PUNCT, lambda m: [])
    leet = _alternate_leet_replacement if alternate else _leet_replacement
    tracked = tracked.sub(_LEET_TOKEN, lambda m: list(zip(leet(m), range(len(m.group(0))), strict=True)))
    tracked = tracked.sub(_WHITESPACE, lambda m: [(" ", 0)])
    text = tracked.text
    lead = len(text) - len(text.lstrip())
    trail = len(text.rstrip())
    return _Tracked(tracked.chars[lead:trail], tracked.starts[lead:trail], tracked.ends[lead:trail])


@functools.lru_cache(maxsize=4096)
def normalize_with_offsets(text: str, reading: Reading = "primary") -> NormalizedText:
    """Normalise ``text`` like :func:`normalize` and record where each output character came from.

    With ``reading="alternate"`` the text is the second reading of :func:`normalize_readings` (ambiguous
    digits read as their other letter), for hits the rules found only there.
    Cached: rule spans and model explanations of the same listing ask for the same fields.
    """
    alternate = reading == "alternate"
    tracked = _tracked_stage_a(_Tracked.of(text))
    while True:
        again = _tracked_stage_b(tracked, alternate)
        if again.text == tracked.text:
            break
        tracked = again
    return NormalizedText(original=text, text=tracked.text, starts=tuple(tracked.starts), ends=tuple(tracked.ends))
