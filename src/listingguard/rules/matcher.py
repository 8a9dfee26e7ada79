"""Multi-pattern matching: find every keyword and pattern of a rule set in one pass over a text.

A rule set holds thousands of keywords, exceptions and brand aliases. Matching them one by one would cost
thousands of scans per listing, so all of them are compiled into one automaton. Three engines implement the
same interface; ``bench/rule_matching.py`` measures them and the fastest is the default (see
``docs/benchmarks.md``):

* :class:`RegexMatcher` - Python's ``re`` with one alternation (the baseline);
* :class:`AhoCorasickMatcher` - ``pyahocorasick`` for literals, ``re`` for the few regex patterns;
* :class:`HyperscanMatcher` - Intel Hyperscan (SIMD automata) for literals and regex patterns together.

All return ``(pattern_index, start, end)`` triples with character offsets into the text, sorted by
``(start, pattern_index)``; Aho-Corasick and Hyperscan report every occurrence, overlapping ones included.

A literal may ask to match approximately, within ``max_edits`` insertions, deletions or substitutions
(``replika`` for ``replica``). Only Hyperscan can (its ``HS_EXT_FLAG_EDIT_DISTANCE`` extended parameter),
so the other engines refuse such patterns. Hyperscan refuses approximate matching in UTF-8 mode and counts
edits in bytes, so approximate patterns must be ASCII and are compiled without the UTF-8 flag. Hyperscan
reports the leftmost start for each end, which spends an edit on the space before the word (`` replica``),
so whitespace and non-ASCII characters at either end of an approximate match are trimmed off; that never
adds an edit (a trimmed character was an insertion, or a substitution that becomes a deletion).
"""

from __future__ import annotations

import re
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

import ahocorasick
import hyperscan

from listingguard.errors import Invalid


@dataclass(frozen=True, slots=True)
class Pattern:
    """A literal keyword or a regular expression, both applied to normalised text."""

    text: str
    is_regex: bool = False
    max_edits: int = 0

    def __post_init__(self) -> None:
        if self.max_edits and (self.is_regex or not self.text.isascii()):
            raise Invalid(f"approximate matching needs an ASCII literal, not {self.text!r}")


Match = tuple[int, int, int]


class Matcher(Protocol):
    """Finds every occurrence of every pattern."""

    name: str

    def find(self, text: str) -> list[Match]: ...


class RegexMatcher:
    """One ``re`` alternation (longest literal first), scanned left to right.

    Python's engine tries the alternatives one by one at every position, and a plain alternation reports
    only non-overlapping occurrences (``toy gun`` hides the ``gun`` inside it). It is the baseline the
    benchmark measures the others against, not an engine to use.
    """

    name = "re"

    def __init__(self, patterns: Sequence[Pattern]) -> None:
        _refuse_approximate(patterns, self.name)
        order = sorted(range(len(patterns)), key=lambda i: (patterns[i].is_regex, -len(patterns[i].text)))
        self._index = {f"p{i}": i for i in order}
        alternatives = [
            f"(?P<p{i}>{patterns[i].text if patterns[i].is_regex else re.escape(patterns[i].text)})" for i in order
        ]
        self._regex = re.compile("|".join(alternatives)) if alternatives else None

    def find(self, text: str) -> list[Match]:
        if self._regex is None:
            return []
        out: list[Match] = []
        for match in self._regex.finditer(text):
            name = match.lastgroup
            if name is not None:
                out.append((self._index[name], match.start(name), match.end(name)))
        return out


class AhoCorasickMatcher:
    """An Aho-Corasick automaton over the literals; regex patterns run separately with ``re``."""

    name = "aho-corasick"

    def __init__(self, patterns: Sequence[Pattern]) -> None:
        _refuse_approximate(patterns, self.name)
        self._automaton: ahocorasick.Automaton | None = None
        literals = [(i, p.text) for i, p in enumerate(patterns) if not p.is_regex]
        if literals:
            automaton = ahocorasick.Automaton()
            by_text: dict[str, list[int]] = {}
            for i, text in literals:
                by_text.setdefault(text, []).append(i)
            for text, ids in by_text.items():
                automaton.add_word(text, (len(text), tuple(ids)))
            automaton.make_automaton()
            self._automaton = automaton
        self._regexes = [(i, re.compile(p.text)) for i, p in enumerate(patterns) if p.is_regex]

    def find(self, text: str) -> list[Match]:
        out: list[Match] = []
        if self._automaton is not None:
            for end, (length, ids) in self._automaton.iter(text):
                start = end - length + 1
                out.extend((i, start, end + 1) for i in ids)
        for i, regex in self._regexes:
            out.extend((i, m.start(), m.end()) for m in regex.finditer(text) if m.end() > m.start())
        out.sort(key=lambda m: (m[1], m[0]))
        return out


class HyperscanMatcher:
    """One Hyperscan database for literals and regex patterns; offsets converted from UTF-8 bytes."""

    name = "hyperscan"

    def __init__(self, patterns: Sequence[Pattern]) -> None:
        self._db: hyperscan.Database | None = None
        if not patterns:
            return
        expressions = [p.text.encode("utf-8") if p.is_regex else re.escape(p.text).encode("utf-8") for p in patterns]
        flags = [hyperscan.HS_FLAG_SOM_LEFTMOST | (0 if p.max_edits else _UNICODE) for p in patterns]
        self._approximate = frozenset(i for i, p in enumerate(patterns) if p.max_edits)
        # hs_expr_ext as a tuple: flags, min_offset, max_offset, min_length, edit_distance, hamming_distance
        ext = [(hyperscan.HS_EXT_FLAG_EDIT_DISTANCE if p.max_edits else 0, 0, 0, 0, p.max_edits, 0) for p in patterns]
        db = hyperscan.Database(mode=hyperscan.HS_MODE_BLOCK)
        try:
            db.compile(
                expressions=expressions,
                ids=list(range(len(patterns))),
                elements=len(patterns),
                flags=flags,
                ext=ext if self._approximate else None,
            )
        except hyperscan.error as exc:
            raise Invalid(
                f"pattern {_culprit(patterns)!r} cannot be compiled by Hyperscan ({exc}); "
                "lookarounds and back-references are not supported, rewrite it"
            ) from exc
        self._db = db
        self._prototype = hyperscan.Scratch(db)
        self._local = threading.local()

    def _scratch(self) -> hyperscan.Scratch:
        """This thread's scratch space: Hyperscan refuses to share one between concurrent scans."""
        scratch = getattr(self._local, "scratch", None)
        if scratch is None:
            scratch = self._local.scratch = self._prototype.clone()
        return scratch

    def find(self, text: str) -> list[Match]:
        if self._db is None:
            return []
        data = text.encode("utf-8")
        raw: list[tuple[int, int, int]] = []

        def on_match(pattern_id: int, start: int, end: int, _flags: int, _ctx: object) -> None:
            raw.append((pattern_id, start, end))

        self._db.scan(data, match_event_handler=on_match, scratch=self._scratch())
        if not raw:
            return []
        if len(data) == len(text):  # ASCII: byte offsets are character offsets
            out = raw
        else:
            char_at = _byte_to_char(text, len(data))
            out = [(i, char_at[s], char_at[e]) for i, s, e in raw]
        if self._approximate:
            out = list(dict.fromkeys(_trimmed(text, m) if m[0] in self._approximate else m for m in out))
        out = [m for m in out if m[2] > m[1]]
        out.sort(key=lambda m: (m[1], m[0]))
        return out


_UNICODE = hyperscan.HS_FLAG_UTF8 | hyperscan.HS_FLAG_UCP


def _trimmed(text: str, match: Match) -> Match:
    """An approximate match without whitespace or non-ASCII characters at its ends."""
    i, start, end = match
    while start < end and (text[start].isspace() or not text[start].isascii()):
        start += 1
    while end > start and (text[end - 1].isspace() or not text[end - 1].isascii()):
        end -= 1
    return i, start, end


def _refuse_approximate(patterns: Sequence[Pattern], engine: str) -> None:
    approximate = [p.text for p in patterns if p.max_edits]
    if approximate:
        raise Invalid(
            f"the {engine} engine cannot match approximately (max_edits), which {approximate[0]!r} asks for; "
            "use the hyperscan engine"
        )


def _culprit(patterns: Sequence[Pattern]) -> str:
    """Find the first pattern Hyperscan refuses, so the error names it."""
    for pattern in patterns:
        if not pattern.is_regex:
            continue
        db = hyperscan.Database(mode=hyperscan.HS_MODE_BLOCK)
        try:
            db.compile(
                expressions=[pattern.text.encode("utf-8")],
                ids=[0],
                elements=1,
                flags=[hyperscan.HS_FLAG_SOM_LEFTMOST | _UNICODE],
            )
        except hyperscan.error:
            return pattern.text
    return "?"


def _byte_to_char(text: str, n_bytes: int) -> list[int]:
    """For every UTF-8 byte offset that starts a character (and the end), the character offset."""
    table = [0] * (n_bytes + 1)
    pos = 0
    for ci, ch in enumerate(text):
        width = len(ch.encode("utf-8"))
        for b in range(width):
            table[pos + b] = ci
        pos += width
    table[n_bytes] = len(text)
    return table


ENGINES: dict[str, type[RegexMatcher] | type[AhoCorasickMatcher] | type[HyperscanMatcher]] = {
    "re": RegexMatcher,
    "aho-corasick": AhoCorasickMatcher,
    "hyperscan": HyperscanMatcher,
}
DEFAULT_ENGINE = "hyperscan"  # 13x Aho-Corasick, >10,000x re on 5,000 patterns (docs/benchmarks.md)


def build_matcher(patterns: Sequence[Pattern], engine: str = DEFAULT_ENGINE) -> Matcher:
    """Compile ``patterns`` with the named engine."""
    try:
        cls = ENGINES[engine]
    except KeyError:
        raise Invalid(f"unknown matching engine {engine!r}; choose one of {', '.join(ENGINES)}") from None
    return cls(patterns)
