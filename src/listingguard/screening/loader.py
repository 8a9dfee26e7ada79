"""Building a :class:`Screener` from settings: the rule set, the policy and (if configured) a model."""

from __future__ import annotations

from pathlib import Path

from listingguard.config import Settings
from listingguard.detection.model import ModerationModel
from listingguard.policy.service import load_policy
from listingguard.rules.engine import load_rule_set
from listingguard.screening.pipeline import Screener


def load_screener(
    settings: Settings, *, model_dir: Path | None = None, rules_dir: Path | None = None, policy_path: Path | None = None
) -> Screener:
    """Load rules, policy and model; a missing model means rules only (the screener says so)."""
    model_path = model_dir or settings.model_dir
    model = ModerationModel.load(model_path) if model_path else None
    return Screener(
        rules=load_rule_set(rules_dir or settings.rules_dir),
        policy=load_policy(policy_path or settings.policy_path),
        model=model,
    )
