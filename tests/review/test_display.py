"""What the review page shows: highlighted text and the price against its category median."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select

from listingguard.db import get_engine, session_scope
from listingguard.intake.flows import ingest_and_screen
from listingguard.listings.schemas import ListingIn
from listingguard.review.display import price_context, segments, task_view
from listingguard.review.models import ReviewTask
from tests.conftest import listing


def marked(text: str, hits: list[dict]) -> list[str]:
    return [s.text for s in segments(text, "description", hits, {}) if s.rules]


def test_every_occurrence_of_a_rule_hit_is_highlighted() -> None:
    text = "スーパーコピー です。 ｽｰﾊﾟｰｺﾋﾟｰ も スーパーコピー"
    words = [(0, "スーパーコピー"), (text.index("ｽ"), "ｽｰﾊﾟｰｺﾋﾟｰ"), (text.rindex("ス"), "スーパーコピー")]
    spans = [{"field": "description", "start": s, "end": s + len(w)} for s, w in words]
    hit = {"rule_id": "counterfeit.explicit_terms", "field": "description", "start": 0, "end": 7, "spans": spans}
    assert marked(text, [hit]) == ["スーパーコピー", "ｽｰﾊﾟｰｺﾋﾟｰ", "スーパーコピー"]
    spans.append({"field": "title", "start": 0, "end": 3})  # another field's occurrence is not marked here
    assert len(marked(text, [hit])) == 3
    old = {k: v for k, v in hit.items() if k != "spans"}  # stored before occurrences were recorded
    assert marked(text, [old]) == ["スーパーコピー"]


def test_the_page_quotes_one_category_median(database_url: str, screener) -> None:
    """The header's median is the one the price rule's reason quotes, even where the model learned another."""
    reference = screener.rules.lists.reference_prices.medians["wallets"]
    assert screener.model.featurizer.category_medians_["wallets"] != reference  # else the test proves nothing
    record = listing(
        id="m1",
        title="ルイヴィトン 長財布",
        description="新品",
        category="wallets",
        brand="Louis Vuitton",
        price=1000,
        condition="new",
    )
    with session_scope(get_engine(database_url)) as session:
        ingest_and_screen(
            session, screener=screener, listings=[ListingIn.model_validate(record)], now=datetime.now(UTC)
        )
        task = session.scalars(select(ReviewTask)).one()
        view = task_view(session, task=task, prices=screener, show_claim=False)
    assert view["price_context"]["median"] == reference
    assert view["price_context"]["ratio"] == 1000 / reference
    detail = next(h["detail"] for h in view["signals"]["rule_hits"] if h["rule_id"] == "counterfeit.cheap_luxury")
    assert f"median {reference:,.0f} JPY" in detail


def test_a_foreign_price_is_converted_before_it_is_compared(screener) -> None:
    rate = screener.rules.lists.reference_prices.rates["USD"]
    median = screener.rules.lists.reference_prices.medians["wallets"]
    context = price_context(screener, price=100.0, currency="USD", category="wallets")
    assert context["ratio"] == 100.0 * rate / median
    assert price_context(screener, price=100.0, currency="XYZ", category="wallets")["ratio"] is None
