"""Loading a rule set and applying it to listings.

Every keyword, exception and brand alias of the whole rule set is normalised with the same function as the
listings and compiled into one multi-pattern matcher, so a listing is scanned once per field however many
rules there are. Hits are found on normalised text and reported with the span of the original text the
seller wrote, so a moderator sees exactly what fired.

A text whose digits have two readings (``rep1ica``: ``repiica`` or ``replica``) is scanned in both; a hit
found only in the second reading is mapped back through that reading's offsets. Keywords of a rule with
``max_edits`` match approximately; such a hit says which keyword it was close to.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import yaml
from pydantic import ValidationError

from listingguard.errors import Invalid
from listingguard.listings.batch import ListingBatch
from listingguard.rules.matcher import DEFAULT_ENGINE, Matcher, Pattern, build_matcher
from listingguard.rules.schemas import Lists, Rule, TopicRules
from listingguard.text.normalize import NormalizedText, Reading, normalize, normalize_with_offsets

LISTS_FILE = "_lists.yaml"
FIELDS = ("title", "description")


@dataclass(frozen=True, slots=True)
class RuleHit:
    """One fired rule on one listing, with where it fired.

    ``start``/``end`` index the original text of ``field`` (None for price and seller rules): the first
    occurrence. ``spans`` lists every occurrence as ``(field, start, end)``, in the order found, so a
    reviewer sees each place the rule fired (one hit per rule all the same: counting and priority are
    per rule, not per occurrence).
    """

    rule_id: str
    topic: str
    action: str
    kind: str
    field: str
    start: int | None = None
    end: int | None = None
    matched: str = ""
    detail: str = ""
    spans: tuple[tuple[str, int, int], ...] = ()

    def to_dict(self) -> dict[str, object]:
        return {
            "rule_id": self.rule_id,
            "topic": self.topic,
            "action": self.action,
            "kind": self.kind,
            "field": self.field,
            "start": self.start,
            "end": self.end,
            "matched": self.matched,
            "detail": self.detail,
            "spans": [{"field": f, "start": start, "end": end} for f, start, end in self.spans],
        }


@dataclass(frozen=True, slots=True)
class _Role:
    kind: str  # keyword | pattern | rule_exception | topic_exception | brand
    topic: str
    rule: int = -1  # index into RuleSet.rules
    name: str = ""  # brand list name for brand aliases


@dataclass(frozen=True, slots=True)
class _Occurrence:
    """Where a keyword or pattern matched: offsets into the normalised text of ``field`` in ``reading``."""

    field: str
    start: int
    end: int
    kind: str
    reading: Reading = "primary"
    near: str = ""  # for an approximate match that is not exact: the keyword it is close to


@dataclass(slots=True)
class _Found:
    keyword_hits: dict[int, list[_Occurrence]] = field(default_factory=lambda: defaultdict(list))
    suppressed_rules: set[int] = field(default_factory=set)
    suppressed_topics: set[str] = field(default_factory=set)
    brand_lists: set[str] = field(default_factory=set)


def _ascii_alnum(ch: str) -> bool:
    return ch.isascii() and ch.isalnum()


def _on_word_boundary(text: str, start: int, end: int) -> bool:
    """Latin keywords match whole words (``gun`` not in ``gunmetal``), allowing a plural ``s``."""
    if start > 0 and _ascii_alnum(text[start]) and _ascii_alnum(text[start - 1]):
        return False
    if end < len(text) and _ascii_alnum(text[end - 1]) and _ascii_alnum(text[end]):
        plural = text[end] == "s" and (end + 1 == len(text) or not _ascii_alnum(text[end + 1]))
        return plural
    return True


class RuleSet:
    """A loaded, compiled rule set. Its ``version`` is the hash of its files' content."""

    def __init__(
        self, topic_rules: Sequence[TopicRules], lists: Lists, *, version: str, engine: str = DEFAULT_ENGINE
    ) -> None:
        self.topic_rules = list(topic_rules)
        self.lists = lists
        self.version = version
        self.engine = engine
        self.rules: list[tuple[str, Rule]] = [(t.topic, r) for t in self.topic_rules for r in t.rules]
        self.topics = sorted({t.topic for t in self.topic_rules})
        self._check_references()
        patterns: list[Pattern] = []
        roles: list[list[_Role]] = []
        index: dict[Pattern, int] = {}

        def add(pattern: Pattern, role: _Role) -> None:
            if pattern not in index:
                index[pattern] = len(patterns)
                patterns.append(pattern)
                roles.append([])
            roles[index[pattern]].append(role)

        for topic in self.topic_rules:
            for word in topic.exceptions:
                add(
                    Pattern(self._normalized(word, f"topic {topic.topic} exception")),
                    _Role("topic_exception", topic.topic),
                )
        for i, (topic_name, rule) in enumerate(self.rules):
            for word in rule.keywords:
                keyword = self._normalized(word, f"rule {rule.id} keyword")
                add(Pattern(keyword, max_edits=rule.edits_for(keyword)), _Role("keyword", topic_name, i))
            for regex in rule.patterns:
                add(Pattern(regex, is_regex=True), _Role("pattern", topic_name, i))
            for word in rule.exceptions:
                add(
                    Pattern(self._normalized(word, f"rule {rule.id} exception")), _Role("rule_exception", topic_name, i)
                )
        for list_name, brands in lists.brand_lists.items():
            for brand, aliases in brands.items():
                for alias in [brand, *aliases]:
                    add(Pattern(self._normalized(alias, f"brand list {list_name}")), _Role("brand", "", name=list_name))
        self.patterns = patterns
        self._roles = roles
        self._matcher: Matcher = build_matcher(patterns, engine)
        self._non_text_rules = [i for i, (_, r) in enumerate(self.rules) if not (r.keywords or r.patterns)]
        self._brand_names = {
            name: {normalize(b) for brand, aliases in brands.items() for b in [brand, *aliases]}
            for name, brands in lists.brand_lists.items()
        }
        self._sellers = {name: set(ids) for name, ids in lists.seller_lists.items()}

    @staticmethod
    def _normalized(word: str, where: str) -> str:
        out = normalize(word)
        if not out:
            raise Invalid(f"{where} {word!r} is empty after normalisation (only symbols or emoji); remove it")
        return out

    def _check_references(self) -> None:
        seen: set[str] = set()
        for _, rule in self.rules:
            if rule.id in seen:
                raise Invalid(f"rule id {rule.id!r} is defined twice; rule ids must be unique")
            seen.add(rule.id)
            if rule.seller_list and rule.seller_list not in self.lists.seller_lists:
                raise Invalid(
                    f"rule {rule.id} uses seller_list {rule.seller_list!r}, which {LISTS_FILE} does not define"
                )
            if rule.price and rule.price.brand_list and rule.price.brand_list not in self.lists.brand_lists:
                raise Invalid(
                    f"rule {rule.id} uses brand_list {rule.price.brand_list!r}, which {LISTS_FILE} does not define"
                )

    # -- matching -------------------------------------------------------------------------------------
    def _scan(self, texts: Sequence[tuple[str, Reading, str | None]]) -> _Found:
        found = _Found()
        for field_name, reading, text in texts:
            if text is None:
                continue
            for pattern_index, start, end in self._matcher.find(text):
                pattern = self.patterns[pattern_index]
                if not pattern.is_regex and not _on_word_boundary(text, start, end):
                    continue
                near = pattern.text if pattern.max_edits and text[start:end] != pattern.text else ""
                for role in self._roles[pattern_index]:
                    if role.kind in ("keyword", "pattern"):
                        occurrence = _Occurrence(field_name, start, end, role.kind, reading, near)
                        found.keyword_hits[role.rule].append(occurrence)
                    elif role.kind == "rule_exception":
                        found.suppressed_rules.add(role.rule)
                    elif role.kind == "topic_exception":
                        found.suppressed_topics.add(role.topic)
                    else:
                        found.brand_lists.add(role.name)
        return found

    def _price_ratio(self, price: float, currency: str, category: str) -> float | None:
        ref = self.lists.reference_prices
        median = ref.medians.get(category)
        if not median:
            return None
        rate = 1.0 if currency == ref.currency else ref.rates.get(currency)
        if rate is None:
            return None
        return price * rate / median

    def price_ratios(self, batch: ListingBatch) -> list[float | None]:
        """Each listing's price divided by its category's reference median (None when unknown)."""
        return [
            self._price_ratio(float(p), c, cat)
            for p, c, cat in zip(batch.prices, batch.currencies, batch.categories, strict=True)
        ]

    def _non_text_hit(self, i: int, batch: ListingBatch, row: int, found: _Found) -> RuleHit | None:
        topic, rule = self.rules[i]
        detail = ""
        if rule.seller_list:
            if batch.seller_ids[row] not in self._sellers[rule.seller_list]:
                return None
            detail = f"seller {batch.seller_ids[row]} is on the {rule.seller_list} list"
        if rule.price and not self._price_holds(rule, batch, row, found):
            return None
        if rule.price:
            ratio = self._price_ratio(float(batch.prices[row]), batch.currencies[row], batch.categories[row])
            median = self.lists.reference_prices.medians.get(batch.categories[row], 0)
            detail = (
                f"price {batch.prices[row]:,.0f} {batch.currencies[row]} is {ratio:.2f}x the "
                f"{batch.categories[row]} median {median:,.0f} {self.lists.reference_prices.currency}"
            )
        kind = "price" if rule.price else "seller"
        return RuleHit(rule.id, topic, rule.action, kind, "price" if rule.price else "seller_id", detail=detail)

    def _price_holds(self, rule: Rule, batch: ListingBatch, row: int, found: _Found) -> bool:
        cond = rule.price
        assert cond is not None
        if cond.categories and batch.categories[row] not in cond.categories:
            return False
        if cond.conditions and batch.conditions[row] not in {c.value for c in cond.conditions}:
            return False
        if cond.brand_list:
            brand = batch.brands[row]
            in_field = brand is not None and normalize(brand) in self._brand_names[cond.brand_list]
            if not in_field and cond.brand_list not in found.brand_lists:
                return False
        ratio = self._price_ratio(float(batch.prices[row]), batch.currencies[row], batch.categories[row])
        if ratio is None:
            return False
        if cond.max_ratio_to_median is not None and ratio > cond.max_ratio_to_median:
            return False
        return not (cond.min_ratio_to_median is not None and ratio < cond.min_ratio_to_median)

    def evaluate(self, batch: ListingBatch, *, with_spans: bool = True) -> list[list[RuleHit]]:
        """Fired rules for every listing of ``batch``.

        With ``with_spans`` (the default) each keyword hit carries its span in the original text; batch jobs
        that only need rule ids pass False and skip the offset tracking.
        """
        titles, descriptions = batch.norm_titles, batch.norm_descriptions
        alt_titles, alt_descriptions = batch.alt_titles, batch.alt_descriptions
        out: list[list[RuleHit]] = []
        for row in range(len(batch)):
            found = self._scan(
                (
                    ("title", "primary", titles[row]),
                    ("description", "primary", descriptions[row]),
                    ("title", "alternate", alt_titles[row]),
                    ("description", "alternate", alt_descriptions[row]),
                )
            )
            hits: list[RuleHit] = []
            for i, occurrences in found.keyword_hits.items():
                topic, rule = self.rules[i]
                if i in found.suppressed_rules or topic in found.suppressed_topics:
                    continue
                allowed = [o for o in occurrences if o.field in rule.fields]
                if not allowed:
                    continue
                if (rule.price or rule.seller_list) and self._non_text_hit(i, batch, row, found) is None:
                    continue
                hits.append(self._keyword_hit(batch, row, topic, rule, allowed, with_spans))
            for i in self._non_text_rules:
                topic, _ = self.rules[i]
                if i in found.suppressed_rules or topic in found.suppressed_topics:
                    continue
                hit = self._non_text_hit(i, batch, row, found)
                if hit is not None:
                    hits.append(hit)
            out.append(hits)
        return out

    @staticmethod
    def _keyword_hit(
        batch: ListingBatch, row: int, topic: str, rule: Rule, occurrences: list[_Occurrence], with_spans: bool
    ) -> RuleHit:
        """The hit of a keyword or pattern rule; with ``with_spans``, offsets into the original text.

        Without it, offsets index the normalised text (of the reading each occurrence was found in).
        """
        # An exact occurrence is the clearest one to show first, the canonical reading before the other.
        occurrences = sorted(occurrences, key=lambda o: (bool(o.near), o.reading != "primary"))
        first = occurrences[0]
        edits = f"{rule.max_edits} edit{'s' if rule.max_edits > 1 else ''}"
        detail = f"within {edits} of {first.near!r}" if first.near else ""
        if not with_spans:
            spans = tuple(dict.fromkeys((o.field, o.start, o.end) for o in occurrences))
            return RuleHit(
                rule.id, topic, rule.action, first.kind, first.field, first.start, first.end, detail=detail, spans=spans
            )

        def tracked(o: _Occurrence) -> NormalizedText:
            original = batch.titles[row] if o.field == "title" else batch.descriptions[row]
            return normalize_with_offsets(original, o.reading)

        mapped = [(o.field, *tracked(o).original_span(o.start, o.end)) for o in occurrences]
        _, start, end = mapped[0]
        original = tracked(first).original
        spans = tuple(dict.fromkeys(mapped))
        return RuleHit(
            rule.id, topic, rule.action, first.kind, first.field, start, end, original[start:end], detail, spans
        )


def _read_yaml(path: Path) -> object:
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        raise Invalid(f"{path}: not valid YAML{where}: {getattr(exc, 'problem', exc)}") from None
    except UnicodeDecodeError:
        raise Invalid(f"{path}: not valid UTF-8; save the file as UTF-8") from None


def _schema_error(path: Path, exc: ValidationError) -> Invalid:
    parts = [f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors(include_url=False)]
    return Invalid(
        f"{path}: " + "; ".join(parts),
        detail=[{"loc": list(e["loc"]), "msg": e["msg"]} for e in exc.errors(include_url=False)],
    )


def rule_set_version(directory: Path) -> str:
    """``rules-<hash>``: the SHA-256 of every YAML file's name and bytes, so any edit is a new version."""
    digest = hashlib.sha256()
    for path in sorted(directory.glob("*.yaml")):
        digest.update(path.name.encode())
        digest.update(b"\0")
        digest.update(path.read_bytes())
        digest.update(b"\0")
    return "rules-" + digest.hexdigest()[:12]


def load_rule_set(directory: Path, *, engine: str = DEFAULT_ENGINE) -> RuleSet:
    """Load and compile the rule set in ``directory``; every problem is reported with its file."""
    if not directory.is_dir():
        raise Invalid(f"{directory}: rule-set directory not found")
    topic_rules: list[TopicRules] = []
    lists = Lists()
    for path in sorted(directory.glob("*.yaml")):
        data = _read_yaml(path)
        try:
            if path.name == LISTS_FILE:
                lists = Lists.model_validate(data or {})
                continue
            parsed = TopicRules.model_validate(data)
        except ValidationError as exc:
            raise _schema_error(path, exc) from None
        if parsed.topic != path.stem:
            raise Invalid(f"{path}: declares topic {parsed.topic!r}; name the file {parsed.topic}.yaml")
        topic_rules.append(parsed)
    if not topic_rules:
        raise Invalid(f"{directory}: no <topic>.yaml rule files found")
    return RuleSet(topic_rules, lists, version=rule_set_version(directory), engine=engine)
