"""A currency without a rate: the rules skip their price checks, and the features agree (price unknown)."""

from pathlib import Path

import numpy as np

from listingguard.config import DEFAULT_RULES_DIR
from listingguard.detection.model import ModerationModel
from listingguard.listings.batch import ListingBatch
from listingguard.listings.schemas import ListingIn
from listingguard.rules.engine import load_rule_set
from tests.conftest import listing


def test_unknown_currency_is_an_unknown_price_for_rules_and_features(trained_model: Path) -> None:
    model = ModerationModel.load(trained_model)
    median = model.featurizer.category_medians_["shoes"]
    unknown = ListingBatch.from_listings([ListingIn(**listing(price=100, currency="KRW"))])
    at_median = ListingBatch.from_listings([ListingIn(**listing(price=median, currency="JPY"))])
    cheap_yen = ListingBatch.from_listings([ListingIn(**listing(price=100, currency="JPY"))])

    assert load_rule_set(DEFAULT_RULES_DIR).price_ratios(unknown) == [None]  # the rules: no price check
    features = model.features(unknown).toarray()
    assert np.allclose(features, model.features(at_median).toarray())  # neither cheap nor expensive
    assert not np.allclose(features, model.features(cheap_yen).toarray())  # (it used to count as 100 yen)
    assert model.featurizer.price_ratios(unknown).tolist() == [1.0]
