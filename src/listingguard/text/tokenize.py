"""Japanese word tokenisers, as an optional alternative to character n-grams.

Character n-grams need no dictionary and cope with misspellings; a morphological analyser splits
Japanese into words, which can help where word boundaries carry meaning. ``bench/feature_switches.py`` measures
whether adding words beats character n-grams alone on the simulator; the result is in
``docs/benchmarks.md``. Both analysers ship their dictionaries in their wheels (nothing is downloaded); they
are the ``japanese`` extra (``pip install 'listingguard[japanese]'``) and are imported only when a model uses
them, since loading them takes time and the default character n-grams do not need them.
"""

from __future__ import annotations

import functools
from collections.abc import Callable

from listingguard.errors import Invalid

Tokenizer = Callable[[str], list[str]]
_MISSING = (
    "the {name} tokenizer is not installed; install the Japanese extra: pip install 'listingguard[japanese]'"
)


@functools.cache
def _sudachi() -> Tokenizer:
    try:
        from sudachipy import dictionary as sudachi_dictionary
        from sudachipy import tokenizer as sudachi_tokenizer
    except ImportError:
        raise Invalid(_MISSING.format(name="sudachi")) from None
    # Only the surface form is used, so load no other morpheme fields.
    tok = sudachi_dictionary.Dictionary(dict="core").tokenizer(sudachi_tokenizer.Tokenizer.SplitMode.C, fields=set())

    def split(text: str) -> list[str]:
        return [m.surface() for m in tok.tokenize(text) if not m.surface().isspace()]

    return split


@functools.cache
def _fugashi() -> Tokenizer:
    try:
        import fugashi
    except ImportError:
        raise Invalid(_MISSING.format(name="fugashi")) from None
    tagger = fugashi.Tagger()

    def split(text: str) -> list[str]:
        return [w.surface for w in tagger(text)]

    return split


def get_tokenizer(name: str) -> Tokenizer:
    """Return the word tokeniser called ``name`` (``sudachi`` or ``fugashi``), loading it once."""
    if name == "sudachi":
        return _sudachi()
    if name == "fugashi":
        return _fugashi()
    raise Invalid(f"unknown tokenizer {name!r}; use char, sudachi or fugashi")
