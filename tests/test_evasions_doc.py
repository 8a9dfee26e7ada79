"""docs/evasions.md cannot go stale: its table is the live outcome of every example, generated here.

Regenerate after a change: ``python -m tests.test_evasions_doc``.
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

from listingguard.config import DEFAULT_RULES_DIR
from listingguard.listings.batch import ListingBatch
from listingguard.rules.engine import RuleSet, load_rule_set
from listingguard.text.normalize import normalize, normalize_readings

DOC = Path(__file__).resolve().parents[1] / "docs" / "evasions.md"
START, END = "<!-- evasions:start -->", "<!-- evasions:end -->"

# (evasion, example title): the outcome column is computed, never written by hand.
EVASIONS = [
    ("upper case, full width, half-width kana, hiragana", "ＮＩＫＥ ｽｰﾊﾟｰｺﾋﾟｰ"),
    ("1 for l (a digit with two readings)", "rep1ica sneakers"),
    ("a dot inside a word", "rep.lica sneakers"),
    ("an asterisk or middle dot inside a word", "rep*lica sneakers"),
    ("the kanji 一 for the long-vowel mark", "スーパーコピ一 財布"),
    ("full-width hyphens for the long-vowel mark", "ス－パ－コピ－ 財布"),
    ("a dash for the long-vowel mark", "スーパーコピ— 財布"),
    ("one letter swapped (sounds alike)", "replika sneakers"),
    ("one letter dropped", "replca sneakers"),
    ("a space inside a word", "rep lica sneakers"),
    ("words run together", "supercopy bag"),
    ("brand and replica word, nothing else", "NIKE スニーカー レプリカ"),
    ("the kanji 一 before a kanji", "コピ一品 財布"),
    ("a swapped letter in a hiding rule's phrase", "super kopy bag"),
]


@cache
def _rules() -> RuleSet:
    return load_rule_set(DEFAULT_RULES_DIR)


def _keywords() -> list[str]:
    return [normalize(k) for _, rule in _rules().rules for k in rule.keywords]


def outcome(example: str) -> str:
    """What catches ``example`` today: normalisation, a rule (as written or with edits), or only a detector."""
    batch = ListingBatch.from_records(
        [{"id": "x", "title": example, "description": "", "price": 2500, "category": "shoes"}]
    )
    hits = [h for h in _rules().evaluate(batch)[0] if h.topic == "counterfeit" and h.kind == "keyword"]
    if not hits:
        return "detector only (the simulator writes it; no rule fires)"
    hit = hits[0]
    if hit.detail.startswith("within"):
        return f"rule with edits: `{hit.rule_id}` ({hit.detail})"
    readings = [r for r in normalize_readings(example) if r is not None]
    folded = [k for k in _keywords() if any(k in r for r in readings) and k not in example.casefold()]
    if folded:
        return f"normalisation → `{folded[0]}`, then `{hit.rule_id}`"
    return f"rule as written: `{hit.rule_id}`"


def table() -> str:
    rows = ["| evasion | example | caught by |", "|---|---|---|"]
    rows += [f"| {name} | `{example}` | {outcome(example)} |" for name, example in EVASIONS]
    return "\n".join(rows)


def _block(text: str) -> str:
    found = re.search(re.escape(START) + r"\n(.*?)" + re.escape(END), text, flags=re.S)
    assert found, f"{DOC.name} lacks the {START} … {END} block"
    return found.group(1).removesuffix("\n")


def test_the_doc_shows_the_live_outcome_of_every_example() -> None:
    assert _block(DOC.read_text(encoding="utf-8")) == table(), (
        "docs/evasions.md is stale; regenerate it with `python -m tests.test_evasions_doc`"
    )


def test_the_outcomes_are_the_ones_the_fixes_promise() -> None:
    got = {example: outcome(example) for _, example in EVASIONS}
    assert got["rep1ica sneakers"].startswith("normalisation → `replica`")
    assert got["rep.lica sneakers"].startswith("normalisation → `replica`")
    assert got["スーパーコピ一 財布"].startswith("normalisation → `スーパーコピー`")
    assert got["replika sneakers"].startswith("rule with edits")
    assert got["supercopy bag"] == "rule as written: `counterfeit.explicit_terms`"
    assert got["コピ一品 財布"].startswith("detector only")


if __name__ == "__main__":
    text = DOC.read_text(encoding="utf-8")
    head, _, rest = text.partition(START)
    DOC.write_text(f"{head}{START}\n{table()}\n{END}{rest.partition(END)[2]}", encoding="utf-8")
    print(f"wrote {DOC}")
