"""Listing validation: strict, and every error names the field."""

import pytest
from pydantic import ValidationError

from listingguard.listings.schemas import ListingIn
from tests.conftest import listing


def errors_of(**overrides: object) -> dict[str, str]:
    with pytest.raises(ValidationError) as info:
        ListingIn.model_validate(listing(**overrides))
    return {".".join(str(p) for p in e["loc"]): e["msg"] for e in info.value.errors()}


class TestListingIn:
    def test_valid_listing_is_accepted_and_naive_time_is_utc(self) -> None:
        parsed = ListingIn.model_validate(listing(created_at="2026-11-01T10:00:00"))
        assert parsed.created_at.tzinfo is not None
        assert parsed.condition == "good"

    @pytest.mark.parametrize("price", [-1, 1e12, float("inf")])
    def test_negative_or_absurd_prices_are_refused(self, price: float) -> None:
        assert "price" in errors_of(price=price)

    def test_wrong_types_are_refused_not_coerced(self) -> None:
        errors = errors_of(title=12345, price="1000")
        assert set(errors) == {"title", "price"}

    def test_huge_description_is_refused_with_the_limit(self) -> None:
        errors = errors_of(description="x" * 10_000_000)
        assert "20000" in errors["description"]

    def test_broken_unicode_is_refused(self) -> None:
        errors = errors_of(title="bad \ud800 surrogate")
        assert "broken Unicode" in errors["title"]

    def test_nul_character_is_refused(self) -> None:
        assert "NUL" in errors_of(description="a\x00b")["description"]

    def test_unknown_and_missing_fields(self) -> None:
        record = listing(colour="red")
        del record["seller_id"]
        with pytest.raises(ValidationError) as info:
            ListingIn.model_validate(record)
        locs = {e["loc"][0] for e in info.value.errors()}
        assert locs == {"colour", "seller_id"}

    def test_labels_must_be_topic_names(self) -> None:
        assert "labels.0" in errors_of(labels=["Weapons!"])

    def test_blank_title_is_refused(self) -> None:
        assert "title" in errors_of(title="   ")

    def test_content_hash_ignores_labels_and_time_but_not_content(self) -> None:
        a = ListingIn.model_validate(listing())
        b = ListingIn.model_validate(listing(labels=["weapons"], created_at="2026-12-01T00:00:00Z"))
        c = ListingIn.model_validate(listing(price=8001))
        assert a.content_hash() == b.content_hash() != c.content_hash()


class TestCondition:
    """The operator's vocabulary is accepted: mapped where known, kept as its own condition otherwise."""

    @pytest.mark.parametrize(
        ("word", "condition"),
        [
            ("good", "good"),
            ("used", "good"),
            (" Used ", "good"),
            ("未使用に近い", "like_new"),
            ("新品、未使用", "new"),
            ("junk", "poor"),
            ("ジャンク", "poor"),
            ("Like  New", "like_new"),
            ("refurbished", "refurbished"),  # unknown: its own condition, not refused
            ("Open Box", "open box"),
        ],
    )
    def test_words_map_to_conditions(self, word: str, condition: str) -> None:
        assert ListingIn.model_validate(listing(condition=word)).condition == condition

    def test_the_operator_adds_words(self, monkeypatch: pytest.MonkeyPatch) -> None:
        from listingguard.config import get_settings

        monkeypatch.setenv("LISTINGGUARD_CONDITION_ALIASES", '{"Occasion": "good", "défectueux": "poor"}')
        get_settings.cache_clear()
        try:
            assert ListingIn.model_validate(listing(condition="occasion")).condition == "good"
            assert ListingIn.model_validate(listing(condition="DÉFECTUEUX")).condition == "poor"
        finally:
            monkeypatch.delenv("LISTINGGUARD_CONDITION_ALIASES")
            get_settings.cache_clear()

    def test_what_cannot_be_stored_is_refused_with_the_way_out(self) -> None:
        assert "LISTINGGUARD_CONDITION_ALIASES" in errors_of(condition="x" * 21)["condition"]
        assert "whitespace" in errors_of(condition="   ")["condition"]
        assert "condition" in errors_of(condition=3)
