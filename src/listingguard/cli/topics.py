"""Topics are declared by the policy: what training labels and models may name, and how a new one is added.

A typo in a label (``nonsense_topic``) must not become a detector that then acts on listings. ``train``
refuses labels and ``--topics`` the policy does not declare, with the same "did you mean" message as
``ingest`` and the API; a genuinely new topic is named explicitly with ``train --new-topic NAME`` and
recorded in the model's manifest (``new_topics``). ``score``, ``evaluate``, ``thresholds``, ``ingest`` and
``serve`` refuse a model with a topic that is neither declared by the policy in use nor recorded as new.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

from listingguard.cli.common import err_console
from listingguard.errors import Invalid
from listingguard.listings.io import unknown_topic

if TYPE_CHECKING:
    from listingguard.detection.model import ModerationModel
    from listingguard.policy.service import Policy

TOPIC_NAME = re.compile(r"^[a-z][a-z0-9_]{0,63}$")  # as in the policy file's schema


def allowed_topics(policy: Policy, new_topics: Sequence[str]) -> list[str]:
    """The policy's topics plus the explicitly added ``new_topics`` (each checked)."""
    declared = set(policy.topics)
    for topic in new_topics:
        if not TOPIC_NAME.match(topic):
            raise Invalid(f"--new-topic {topic!r}: use 1-64 lower-case letters, digits or '_', starting with a letter")
        if topic in declared:
            raise Invalid(f"--new-topic {topic!r}: the policy ({policy.version}) already declares it; drop the flag")
    return sorted(declared | set(new_topics))


def check_labels(labels: Iterable[Sequence[str] | None], *, allowed: Sequence[str], what: str) -> None:
    """Refuse labels naming topics outside ``allowed``, saying how many listings carry each and what to do."""
    counts = Counter(topic for row in labels for topic in (row or ()) if topic not in allowed)
    if counts:
        raise Invalid(undeclared_message(counts, allowed=allowed, what=what))


def check_requested(topics: Sequence[str], *, allowed: Sequence[str]) -> None:
    """``--topics`` may only name allowed topics."""
    unknown = Counter(t for t in topics if t not in allowed)
    if unknown:
        raise Invalid(undeclared_message(unknown, allowed=allowed, what="--topics"))


def undeclared_message(counts: Counter[str], *, allowed: Sequence[str], what: str) -> str:
    """Each undeclared topic (with a "did you mean" for typos), and the two ways forward."""
    parts = [
        unknown_topic(topic, allowed) + (f" ({n:,} listings)" if what != "--topics" else "")
        for topic, n in counts.most_common()
    ]
    names = " ".join(f"--new-topic {t}" for t in sorted(counts))
    return (
        f"{what} names a topic the policy does not declare: {'; '.join(parts)}. "
        f"Fix the labels, or add a genuinely new topic explicitly with {names} (or declare it in the policy file)"
    )


def check_model(model: ModerationModel, policy: Policy) -> None:
    """Refuse a model whose topics the policy neither declares nor the manifest records as added on purpose."""
    new_topics = set(model.manifest.get("new_topics") or ())
    unknown = [t for t in model.topics if t not in policy.topics and t not in new_topics]
    if unknown:
        raise Invalid(
            f"model {model.version} has topics the policy ({policy.version}) does not declare: "
            + "; ".join(unknown_topic(t, policy.topics) for t in unknown)
            + ". Retrain it on corrected labels, or use a policy that declares them (--policy)"
        )
    for topic in sorted(new_topics - set(policy.topics)):
        defaults = policy.topic(topic)
        err_console.print(
            f"[yellow]topic {topic!r} was added with --new-topic when model {model.version} was trained and "
            f"the policy does not list it: its defaults apply (review ≥ {defaults.review}, hide ≥ {defaults.hide})[/]"
        )
