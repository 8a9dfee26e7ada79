"""Every table of the schema, imported in one place so SQLAlchemy and Alembic see all of them."""

from __future__ import annotations

from listingguard.audit import models as audit_models
from listingguard.db import Base
from listingguard.evaluation.backtest import models as backtest_models
from listingguard.listings import models as listing_models
from listingguard.registry import models as registry_models
from listingguard.review import models as review_models
from listingguard.screening import models as screening_models
from listingguard.users import models as user_models

__all__ = [
    "Base",
    "audit_models",
    "backtest_models",
    "listing_models",
    "load_all_models",
    "registry_models",
    "review_models",
    "screening_models",
    "user_models",
]


def load_all_models() -> None:
    """Nothing to do at call time: importing this module registered every table on ``Base.metadata``."""
