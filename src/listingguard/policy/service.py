"""Loading a policy and turning scores and rule hits into an action with its reasons."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import yaml
from pydantic import ValidationError

from listingguard.errors import Invalid
from listingguard.policy.schemas import PolicyFile, TopicPolicy
from listingguard.rules.engine import RuleHit

ACTIONS = ("allow", "review", "hide")
_RANK = {a: i for i, a in enumerate(ACTIONS)}


def stricter(a: str, b: str) -> str:
    """The stricter of two actions (hide > review > allow)."""
    return a if _RANK[a] >= _RANK[b] else b


@dataclass(frozen=True, slots=True)
class Decision:
    """What the policy decided for one listing."""

    action: str
    topics: list[str]
    priority: float
    reasons: list[str]
    topic_actions: dict[str, str]


class Policy:
    """A loaded policy; ``version`` is ``policy-<hash>`` of the file's bytes."""

    def __init__(self, spec: PolicyFile, *, version: str, source: str = "") -> None:
        self.spec = spec
        self.version = version
        self.source = source

    @property
    def name(self) -> str:
        return self.spec.name

    def topic(self, name: str) -> TopicPolicy:
        """The topic's settings, or the defaults for a topic the file does not list."""
        return self.spec.topics.get(name, self.spec.defaults)

    @property
    def topics(self) -> list[str]:
        return sorted(self.spec.topics)

    def decide(self, scores: Mapping[str, float], hits: Sequence[RuleHit]) -> Decision:
        """Combine per-topic probabilities and rule hits into one action.

        Each topic gets the stricter of its score action and its rules' actions; the listing gets the
        strictest topic action. Priority is the largest ``severity x probability`` among flagged topics
        (a rule hit counts as probability 1 for topics without a score).
        """
        topic_actions: dict[str, str] = {}
        reasons: list[str] = []
        priority = 0.0
        for topic, p in sorted(scores.items()):
            settings = self.topic(topic)
            action = "allow"
            if settings.hide is not None and p >= settings.hide:
                action = "hide"
                reasons.append(f"{topic} score {p:.2f} ≥ hide threshold {settings.hide:g}")
            elif p >= settings.review:
                action = "review"
                reasons.append(f"{topic} score {p:.2f} ≥ review threshold {settings.review:g}")
            topic_actions[topic] = action
        for hit in hits:
            current = topic_actions.get(hit.topic, "allow")
            topic_actions[hit.topic] = stricter(current, hit.action)
            where = f" '{hit.matched}' in {hit.field}" if hit.matched else (f" ({hit.detail})" if hit.detail else "")
            reasons.append(f"rule {hit.rule_id} → {hit.action}{where}")
        flagged = sorted(t for t, a in topic_actions.items() if a != "allow")
        ruled = {h.topic for h in hits}
        action = "allow"
        for topic in flagged:
            action = stricter(action, topic_actions[topic])
            p = 1.0 if topic in ruled else scores.get(topic, 0.0)
            priority = max(priority, self.topic(topic).severity * p)
        return Decision(action=action, topics=flagged, priority=priority, reasons=reasons, topic_actions=topic_actions)


def policy_version(raw: bytes) -> str:
    """``policy-<hash>`` of the file content, so any edit is a new version."""
    return "policy-" + hashlib.sha256(raw).hexdigest()[:12]


def parse_policy(raw: bytes, source: str = "<policy>") -> Policy:
    """Parse and validate policy YAML bytes."""
    try:
        data = yaml.safe_load(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise Invalid(f"{source}: not valid UTF-8") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark else ""
        raise Invalid(f"{source}: not valid YAML{where}: {getattr(exc, 'problem', exc)}") from None
    try:
        spec = PolicyFile.model_validate(data)
    except ValidationError as exc:
        parts = "; ".join(f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors(include_url=False))
        raise Invalid(f"{source}: {parts}") from None
    return Policy(spec, version=policy_version(raw), source=source)


def load_policy(path: Path) -> Policy:
    """Load the policy file at ``path``."""
    if not path.is_file():
        raise Invalid(f"{path}: policy file not found")
    return parse_policy(path.read_bytes(), str(path))


def dump_policy(spec: PolicyFile) -> bytes:
    """Serialise a policy (used when ``thresholds`` writes a new version)."""
    data = spec.model_dump(mode="json", exclude_none=False)
    return yaml.safe_dump(data, allow_unicode=True, sort_keys=False).encode("utf-8")
