"""Explanations point at the seller's own characters."""

from listingguard.listings.batch import ListingBatch
from tests.conftest import listing


def test_top_text_features_are_spans_of_the_original(screener) -> None:
    title = "【N級品】ｼｬﾈﾙ ショルダーバッグ スーパーコピー"
    record = listing(
        title=title,
        description="スーパーコピーです。本物と見分けがつきません。",
        category="bags",
        price=3000,
        condition="new",
        brand=None,
    )
    result = screener.screen(ListingBatch.from_records([record]))[0]
    assert "counterfeit" in result.topics
    contributions = result.explanations["counterfeit"]
    texts = [c for c in contributions if c["kind"] == "text"]
    assert texts, contributions
    for c in texts:
        source = title if c["field"] == "title" else record["description"]
        assert source[c["start"] : c["end"]] == c["label"]
    weights = [c["weight"] for c in contributions]
    assert weights == sorted(weights, reverse=True)


def test_benign_listing_has_no_explanations(screener) -> None:
    result = screener.screen(ListingBatch.from_records([listing()]))[0]
    assert result.action == "allow" and result.explanations == {}
