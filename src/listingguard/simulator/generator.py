"""A synthetic C2C marketplace: labelled listings, day by day, deterministic by seed.

No public data set ships marketplace listings with moderation labels, so the demo, tests and benchmarks
run on this simulator. It is documented as synthetic everywhere it is used. What it models:

* Japanese and English listings across 18 categories, priced around each category's median;
* eight policy topics at realistic prevalence (0.2-1% each), written the ways sellers write them;
* decoys: benign listings that look risky (``toy gun``, ``gunmetal``, a stuffed kitten);
* disguises (kana, width, leetspeak, spacing, emoji, look-alike characters), more of them as days pass;
* new slang that appears on later days, so rules written on day 0 decay;
* evasions that pass naive rules (``rep1ica``, ``rep.lica``, ``replika``, ``supercopy``, ``スーパーコピ一``) and
  terse counterfeit listings without the templates' context (``NIKE スニーカー レプリカ`` at a low price),
  beside as many terse benign listings, so a detector learns the words rather than the templates;
* moderator label noise: some violations labelled fine, a few fine listings labelled as violations.

Each record carries ``meta.sim`` with the ground truth (``truth``), the kind of listing and the disguise
used, so evaluations can tell label noise from model error.
"""

from __future__ import annotations

import math
import random
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from listingguard.simulator import catalog, disguise
from listingguard.simulator.topics import (
    ARTISTS,
    OVERPRICED_ITEMS_EN,
    OVERPRICED_ITEMS_JA,
    TOPICS,
    Decoy,
    TopicSpec,
)


def repeat_offenders(topic: str) -> tuple[str, ...]:
    """The small pool of sellers who list violations of ``topic`` again and again."""
    index = list(TOPICS).index(topic)
    return tuple(f"s9{index}{n:03d}" for n in range(15))


@dataclass(frozen=True, slots=True)
class SimulationConfig:
    """Knobs of the simulated marketplace.

    Parameters
    ----------
    days, per_day : int
        How many days and how many listings per day.
    seed : int
        Everything is a function of the seed: the same config gives byte-identical output.
    start : date
        Calendar day of day 0.
    missed_label_rate : float
        Chance that a moderator labels a violation as fine.
    false_label_rate : float
        Chance that a moderator labels a fine listing as a violation.
    decoy_rate : float
        Share of benign listings that look like a violation.
    english_share : float
        Share of listings written in English.
    prevalence_scale : float
        Multiplies every topic's prevalence (tests use a higher value to get positives quickly).
    first_day : int
        Index of the first simulated day (to continue a simulation).
    evasion_share : float
        Share of counterfeit violations whose term is written with an evasion (``disguise.EVASIONS``).
    terse_share : float
        Share of counterfeit violations written tersely: any brand of the category, the item and the term,
        no description or one ordinary sentence, a price between 5% and 100% of the category median.
    terse_benign_share : float
        Share of benign listings written as tersely (brand and item, no description or one ordinary
        sentence) and priced as used goods (15-100% of their price), so brevity and a low price alone
        say nothing.

    The last three draw from a random stream of their own, so every other listing of a day stays what it
    was without them.
    """

    days: int = 30
    per_day: int = 2000
    seed: int = 0
    start: date = date(2026, 9, 1)
    missed_label_rate: float = 0.03
    false_label_rate: float = 0.001
    decoy_rate: float = 0.03
    english_share: float = 0.3
    prevalence_scale: float = 1.0
    first_day: int = 0
    evasion_share: float = 0.3
    terse_share: float = 0.3
    terse_benign_share: float = 0.03


def disguise_rate(day: int) -> float:
    """Chance that a violation's key words are disguised; sellers adapt as moderation catches them."""
    return 0.3 + 0.35 * min(day, 60) / 60


def hard_disguise_share(day: int) -> float:
    """Among disguises, the share that normalisation cannot undo (look-alike kanji, misspellings)."""
    return 0.1 + 0.4 * min(day, 60) / 60


class _DayGenerator:
    """Generates one day of listings from its own random stream (days are independent and reproducible)."""

    def __init__(self, config: SimulationConfig, day: int) -> None:
        self.config = config
        self.day = day
        self.rng = random.Random(f"listingguard-sim:{config.seed}:{day}")
        self.evasion_rng = random.Random(f"listingguard-sim-evasions:{config.seed}:{day}")
        self.topic_names = list(TOPICS)
        self.topic_weights = [TOPICS[t].prevalence * config.prevalence_scale for t in self.topic_names]
        self.decoy_topics = [t for t in self.topic_names if TOPICS[t].decoys]
        self.category_names = list(catalog.CATEGORIES)

    # -- helpers ---------------------------------------------------------------------------------------
    def lang(self) -> str:
        return "en" if self.rng.random() < self.config.english_share else "ja"

    def loguniform(self, low: float, high: float) -> float:
        return math.exp(self.rng.uniform(math.log(low), math.log(high)))

    def round_price(self, price: float) -> float:
        return float(max(300, round(price / 10.0) * 10))

    def brand_text(self, brand: str, lang: str, rng: random.Random | None = None) -> str:
        b = catalog.BRANDS[brand]
        variants = b.ja if lang == "ja" else b.en
        return (rng or self.rng).choice(variants)

    def created_at(self) -> datetime:
        day = self.config.start + timedelta(days=self.day)
        seconds = self.rng.randrange(86400)
        return datetime.combine(day, time(0, 0), tzinfo=UTC) + timedelta(seconds=seconds)

    def seller(self, topic: str | None) -> str:
        if topic is not None and self.rng.random() < 0.3:
            return self.rng.choice(repeat_offenders(topic))
        return f"s{self.rng.randrange(60000):05d}"

    def sentences(self, lang: str, k: int) -> list[str]:
        pool = catalog.DESCRIPTION_JA if lang == "ja" else catalog.DESCRIPTION_EN
        return self.rng.sample(pool, k=k)

    def condition(self, weights: tuple[float, ...] = catalog.CONDITION_WEIGHTS) -> str:
        return self.rng.choices(catalog.CONDITIONS, weights=weights)[0]

    def condition_sentence(self, condition: str, lang: str) -> str:
        if lang == "ja":
            return f"商品の状態は「{catalog.CONDITION_JA[condition]}」です。"
        return f"Condition: {catalog.CONDITION_EN[condition]}."

    def fill(self, template: str, values: dict[str, str]) -> str:
        out = template
        for key, value in values.items():
            out = out.replace("{" + key + "}", value)
        return out

    # -- benign ----------------------------------------------------------------------------------------
    def benign(self) -> dict[str, Any]:
        raw = self.benign_in(catalog.CATEGORIES[self.rng.choice(self.category_names)])
        if self.evasion_rng.random() < self.config.terse_benign_share:
            category = catalog.CATEGORIES[raw["category"]]
            item = self.evasion_rng.choice(category.items_ja if raw["lang"] == "ja" else category.items_en)
            brand = raw["brand"] or (self.evasion_rng.choice(category.brands) if category.brands else None)
            words = [self.brand_text(brand, raw["lang"], self.evasion_rng) if brand else "", item]
            # Used goods sold cheaply, so a low price and a missing description say nothing on their own.
            price = self.round_price(raw["price"] * math.exp(self.evasion_rng.uniform(math.log(0.15), 0.0)))
            raw.update(title=" ".join(w for w in words if w), description=self.terse_description(raw["lang"]))
            raw["price"] = price
            raw["extra"] = {**raw.get("extra", {}), "terse": True}
        return raw

    def benign_in(self, category: catalog.Category) -> dict[str, Any]:
        rng = self.rng
        lang = self.lang()
        item = rng.choice(category.items_ja if lang == "ja" else category.items_en)
        brand = rng.choice(category.brands) if category.brands and rng.random() < 0.6 else None
        condition = self.condition()
        factor = math.exp(rng.gauss(0.0, category.spread))
        factor *= {"new": 1.25, "like_new": 1.1, "good": 1.0, "fair": 0.75, "poor": 0.5}[condition]
        if brand and catalog.BRANDS[brand].luxury:
            factor *= (
                self.loguniform(1.5, 5.0) if condition in ("new", "like_new", "good") else self.loguniform(0.6, 1.8)
            )
        tags = catalog.TITLE_TAGS_JA if lang == "ja" else catalog.TITLE_TAGS_EN
        parts = [rng.choice(tags), self.brand_text(brand, lang) if brand else "", item]
        title = " ".join(p for p in parts if p).strip()
        description = " ".join([self.condition_sentence(condition, lang), *self.sentences(lang, rng.randint(1, 3))])
        return self.record(
            title=title,
            description=description,
            price=category.median_price * factor,
            category=category.name,
            brand=brand,
            condition=condition,
            seller=self.seller(None),
            truth=[],
            kind="benign",
            lang=lang,
        )

    def decoy(self) -> dict[str, Any]:
        rng = self.rng
        topic = TOPICS[rng.choice(self.decoy_topics)]
        lang = self.lang()
        candidates = [d for d in topic.decoys if d.lang == lang] or list(topic.decoys)
        decoy: Decoy = rng.choice(candidates)
        brand = rng.choice(catalog.LUXURY_BRANDS) if "{brand}" in decoy.title else None
        category = catalog.CATEGORIES[decoy.category]
        values = {
            "brand": self.brand_text(brand, lang) if brand else "",
            "item": rng.choice(category.items_ja if lang == "ja" else category.items_en),
            "artist": rng.choice(ARTISTS),
        }
        condition = self.condition()
        description = " ".join(
            [self.fill(decoy.description, values), self.condition_sentence(condition, lang), *self.sentences(lang, 1)]
        )
        price = category.median_price * self.loguniform(*decoy.price_factor)
        return self.record(
            title=self.fill(decoy.title, values),
            description=description,
            price=price,
            category=category.name,
            brand=brand,
            condition=condition,
            seller=self.seller(None),
            truth=[],
            kind=f"decoy:{topic.name}",
            lang=lang,
        )

    # -- violations ------------------------------------------------------------------------------------
    def term(self, spec: TopicSpec, lang: str) -> tuple[str, int]:
        """Pick a word from the waves already in use; the newest wave is the most popular."""
        waves = [w for w in spec.waves if w.day <= self.day and (w.ja if lang == "ja" else w.en)]
        weights = [1.0 + 3.0 * (i == len(waves) - 1 and i > 0) for i in range(len(waves))]
        wave = self.rng.choices(waves, weights=weights)[0]
        return self.rng.choice(wave.ja if lang == "ja" else wave.en), wave.day

    def maybe_disguise(self, word: str) -> tuple[str, str]:
        if not word or self.rng.random() >= disguise_rate(self.day):
            return word, "plain"
        return disguise.disguise(word, self.rng, hard_share=hard_disguise_share(self.day))

    def violation(self, topic_name: str) -> dict[str, Any]:
        rng = self.rng
        spec = TOPICS[topic_name]
        if rng.random() < spec.hidden_share:
            return self.hidden_violation(spec)
        lang = self.lang()
        keywordless = rng.random() < spec.keywordless_share
        term, wave_day = ("", -1) if keywordless else self.term(spec, lang)
        shown_term, how = self.maybe_disguise(term)
        category = catalog.CATEGORIES[rng.choice(spec.categories)]
        brand: str | None = None
        condition = self.condition()
        values: dict[str, str] = {"term": shown_term, "n": str(rng.randint(2, 12)), "artist": rng.choice(ARTISTS)}
        price = category.median_price * self.loguniform(*spec.price_factor)
        if topic_name == "counterfeit":
            luxury = [b for b in category.brands if catalog.BRANDS[b].luxury] or list(catalog.LUXURY_BRANDS)
            brand = rng.choice(luxury)
            brand_shown, brand_how = self.maybe_disguise(self.brand_text(brand, lang))
            if how == "plain":
                how = brand_how
            values["brand"] = brand_shown
            values["item"] = rng.choice(category.items_ja if lang == "ja" else category.items_en)
            condition = self.condition((0.7, 0.25, 0.05, 0.0, 0.0))
            if rng.random() < 0.3:
                brand = None  # the seller leaves the brand field empty
        elif topic_name == "overpriced":
            idx = rng.randrange(len(OVERPRICED_ITEMS_JA))
            values["item"] = (OVERPRICED_ITEMS_JA if lang == "ja" else OVERPRICED_ITEMS_EN)[idx]
            category = catalog.CATEGORIES[("home", "health", "home", "games", "shoes")[idx]]
            price = category.median_price * self.loguniform(*spec.price_factor)
            condition = "new"
        elif topic_name == "tickets_resale":
            face = rng.choice((6800, 8800, 9800, 12000))
            values["face"] = f"{face:,}"
            price = face * self.loguniform(*spec.price_factor)
        elif topic_name == "cash_giftcards":
            face = rng.choice((5000, 10000, 30000, 50000))
            values["face"] = f"{face:,}"
            price = face * rng.uniform(1.02, 1.25)
        values.setdefault("face", f"{rng.choice((5000, 10000)):,}")
        title, description = self.violation_text(spec, lang, values, keywordless, condition)
        evasion = ""
        if topic_name == "counterfeit" and term:
            title, description, price, brand, evasion = self.evasive(
                category, lang, term, shown_term, title, description, price, brand
            )
        return self.record(
            title=title,
            description=description,
            price=price,
            category=category.name,
            brand=brand,
            condition=condition,
            seller=self.seller(topic_name),
            truth=[topic_name],
            kind="violation",
            lang=lang,
            extra={
                "disguise": how,
                "term": term,
                "wave_day": wave_day,
                "keywordless": keywordless,
                **({"evasion": evasion} if evasion else {}),
            },
        )

    def terse_description(self, lang: str) -> str:
        """No description, or one ordinary sentence (from the evasion stream)."""
        if self.evasion_rng.random() < 0.5:
            return ""
        return self.evasion_rng.choice(catalog.DESCRIPTION_JA if lang == "ja" else catalog.DESCRIPTION_EN)

    def evasive(
        self,
        category: catalog.Category,
        lang: str,
        term: str,
        shown_term: str,
        title: str,
        description: str,
        price: float,
        brand: str | None,
    ) -> tuple[str, str, float, str | None, str]:
        """Rewrite a counterfeit listing with an evasion of its term and/or tersely, from the evasion stream.

        Returns title, description, price, brand and what was done (``""``: nothing).
        """
        rng = self.evasion_rng
        done: list[str] = []
        if rng.random() < self.config.evasion_share:
            evaded, name = disguise.evade(term, rng)
            if name != "plain":
                title, description = title.replace(shown_term, evaded), description.replace(shown_term, evaded)
                shown_term = evaded
                done.append(name)
        if rng.random() < self.config.terse_share:
            brand = rng.choice(category.brands) if category.brands else brand
            item = rng.choice(category.items_ja if lang == "ja" else category.items_en)
            words = [self.brand_text(brand, lang, rng) if brand else "", item, shown_term]
            if rng.random() < 0.3:
                words.insert(0, words.pop())  # the term first
            title = " ".join(w for w in words if w)
            description = self.terse_description(lang)
            # Mostly cheap, but not always: the words must carry the listing, not the price alone.
            price = category.median_price * math.exp(rng.uniform(math.log(0.05), 0.0))
            if rng.random() < 0.3:
                brand = None
            done.append("terse")
        return title, description, price, brand, "+".join(done)

    def hidden_violation(self, spec: TopicSpec) -> dict[str, Any]:
        """A violation whose text reads like an ordinary listing: only the photos would show it."""
        raw = self.benign_in(catalog.CATEGORIES[self.rng.choice(spec.categories)])
        raw.update(
            seller_id=self.seller(spec.name),
            truth=[spec.name],
            kind="violation",
            extra={"disguise": "hidden", "term": "", "wave_day": -1, "keywordless": True},
        )
        return raw

    def violation_text(
        self, spec: TopicSpec, lang: str, values: dict[str, str], keywordless: bool, condition: str
    ) -> tuple[str, str]:
        rng = self.rng
        titles = spec.titles_ja if lang == "ja" else spec.titles_en
        descriptions = spec.descriptions_ja if lang == "ja" else spec.descriptions_en
        if keywordless:
            if spec.name == "counterfeit":
                title = f"{values['brand']} {values['item']} " + ("新品未使用" if lang == "ja" else "brand new")
            else:
                title = values["item"] + (" 新品未開封" if lang == "ja" else " sealed")
            generic = [d for d in descriptions if "{term}" not in d] or ["", ""]
            description = " ".join(
                [
                    self.condition_sentence(condition, lang),
                    self.fill(rng.choice(generic), values),
                    *self.sentences(lang, 1),
                ]
            )
            return title.strip(), description
        title = self.fill(rng.choice(titles), values)
        if rng.random() < 0.3:  # the title looks ordinary; only the description gives it away
            category = catalog.CATEGORIES[rng.choice(spec.categories)]
            tags = catalog.TITLE_TAGS_JA if lang == "ja" else catalog.TITLE_TAGS_EN
            item = rng.choice(category.items_ja if lang == "ja" else category.items_en)
            title = f"{rng.choice(tags)} {values.get('brand', '')} {item}"
        with_term = [d for d in descriptions if "{term}" in d] or list(descriptions)
        picked = [rng.choice(with_term)]
        if rng.random() < 0.5:
            picked.append(rng.choice([d for d in descriptions if d not in picked] or descriptions))
        description = " ".join(
            [
                self.condition_sentence(condition, lang),
                *(self.fill(d, values) for d in picked),
                *self.sentences(lang, rng.randint(1, 3)),
            ]
        )
        return " ".join(title.split()), description

    # -- records ---------------------------------------------------------------------------------------
    def record(
        self,
        *,
        title: str,
        description: str,
        price: float,
        category: str,
        brand: str | None,
        condition: str,
        seller: str,
        truth: list[str],
        kind: str,
        lang: str,
        extra: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        return {
            "title": " ".join(title.split())[:300],
            "description": description,
            "price": self.round_price(price),
            "currency": "JPY",
            "category": category,
            "brand": brand,
            "condition": condition,
            "seller_id": seller,
            "truth": truth,
            "kind": kind,
            "lang": lang,
            "extra": extra or {},
        }

    def observed_labels(self, truth: list[str]) -> list[str]:
        """What a (fallible) moderator would have said."""
        if truth and self.rng.random() < self.config.missed_label_rate:
            return []
        if not truth and self.rng.random() < self.config.false_label_rate:
            return [self.rng.choice(self.topic_names)]
        return list(truth)

    def generate(self) -> Iterator[dict[str, Any]]:
        rng = self.rng
        total_prevalence = sum(self.topic_weights)
        for i in range(self.config.per_day):
            draw = rng.random()
            if draw < total_prevalence:
                topic = rng.choices(self.topic_names, weights=self.topic_weights)[0]
                raw = self.violation(topic)
            elif rng.random() < self.config.decoy_rate:
                raw = self.decoy()
            else:
                raw = self.benign()
            listing_id = f"sim{self.config.seed}-d{self.day:03d}-{i:06d}"
            yield {
                "id": listing_id,
                "title": raw["title"],
                "description": raw["description"],
                "price": raw["price"],
                "currency": raw["currency"],
                "category": raw["category"],
                **({"brand": raw["brand"]} if raw["brand"] else {}),
                "condition": raw["condition"],
                "seller_id": raw["seller_id"],
                "image_refs": [f"sim://images/{listing_id}/1.jpg"],
                "created_at": self.created_at().isoformat(),
                "labels": self.observed_labels(raw["truth"]),
                "meta": {
                    "sim": {
                        "day": self.day,
                        "truth": raw["truth"],
                        "kind": raw["kind"],
                        "lang": raw["lang"],
                        **raw["extra"],
                    }
                },
            }


def simulate_day(config: SimulationConfig, day: int) -> list[dict[str, Any]]:
    """All listings of one day, in interchange-format records."""
    return list(_DayGenerator(config, day).generate())


def simulate(config: SimulationConfig) -> Iterator[dict[str, Any]]:
    """Yield every listing of the simulation, day by day, in creation order within each day."""
    for day in range(config.first_day, config.first_day + config.days):
        records = simulate_day(config, day)
        records.sort(key=lambda r: r["created_at"])
        yield from records


def topic_severities() -> dict[str, float]:
    """Severity of each simulated topic (the default policy uses the same weights)."""
    return {name: spec.severity for name, spec in TOPICS.items()}


def category_medians() -> dict[str, int]:
    """The simulator's category median prices in yen (the default rule set's reference prices)."""
    return {name: c.median_price for name, c in catalog.CATEGORIES.items()}
