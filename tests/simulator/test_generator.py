"""The simulator: deterministic, realistic prevalence, both languages, and slang that drifts."""

from collections import Counter

from listingguard.listings.schemas import ListingIn
from listingguard.simulator.generator import SimulationConfig, simulate, simulate_day
from listingguard.simulator.topics import TOPICS


def test_deterministic_and_valid() -> None:
    config = SimulationConfig(days=2, per_day=300, seed=5)
    first, second = list(simulate(config)), list(simulate(config))
    assert first == second
    for record in first:
        ListingIn.model_validate(record)


def test_prevalence_languages_and_decoys() -> None:
    records = list(simulate(SimulationConfig(days=10, per_day=2000, seed=1)))
    truth = Counter(t for r in records for t in r["meta"]["sim"]["truth"])
    for topic in TOPICS:
        assert 0.0005 < truth[topic] / len(records) < 0.02, topic
    langs = Counter(r["meta"]["sim"]["lang"] for r in records)
    assert 0.2 < langs["en"] / len(records) < 0.4
    assert sum(r["meta"]["sim"]["kind"].startswith("decoy") for r in records) > 100
    noisy = sum(r["labels"] != r["meta"]["sim"]["truth"] for r in records)
    assert 0 < noisy < 0.01 * len(records)


def test_new_slang_only_after_its_day() -> None:
    late_terms = {w for spec in TOPICS.values() for wave in spec.waves if wave.day >= 30 for w in (*wave.ja, *wave.en)}
    early = [r for day in range(0, 5) for r in simulate_day(SimulationConfig(per_day=2000, seed=2), day)]
    late = [r for day in range(45, 50) for r in simulate_day(SimulationConfig(per_day=2000, seed=2), day)]
    assert not any(r["meta"]["sim"].get("term") in late_terms for r in early)
    assert any(r["meta"]["sim"].get("term") in late_terms for r in late)
