"""Promote and roll back: the only way an alias moves, and where the release gate is enforced.

Who may move what:

- ``candidate`` and ``shadow`` point at anything registered: they never act, so moving them needs a reason
  but no evidence;
- ``production`` needs evidence for the bundle: a passed backtest of it against the bundle in production
  now (``evaluation.backtest``), or that it served production before (a roll-back or roll-forward to a
  known bundle), or, on a fresh install, that nothing ever served (the first production, recorded as
  such); anything else is refused, naming what is missing, unless an **admin** overrides with a reason.
  An override is recorded as ``override`` in the alias history and the audit log, so it is visible
  forever.

A reference may be a bundle id, an alias name, or a model version; a model version means that model with
the rule set and policy in force (production's, or the configured defaults on a fresh install), registered
here if they were not yet.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from listingguard.config import Settings
from listingguard.errors import Forbidden, Invalid, NotFound
from listingguard.evaluation.backtest import report as backtest_report
from listingguard.registry import service
from listingguard.registry.models import ALIASES, AliasEvent, Bundle
from listingguard.registry.store import ArtifactStore
from listingguard.users.deps import PERMISSIONS

PROMOTING_ROLES = PERMISSIONS["models:promote"]  # the API's permission table decides, for the CLI too
OVERRIDING_ROLES = PERMISSIONS["models:override"]


@dataclass(frozen=True, slots=True)
class Actor:
    """Who moves an alias: an account name and its role (the CLI acts as an operator with admin rights)."""

    name: str
    role: str


def ensure_defaults(
    db_session: Session, *, settings: Settings, store: ArtifactStore, actor: str, now: datetime
) -> tuple[str, str]:
    """Register the configured rule set and policy (idempotent) and return their versions."""
    rules = service.register_rule_set(db_session, store=store, directory=settings.rules_dir, actor=actor, now=now)
    policy = service.register_policy(db_session, store=store, path=settings.policy_path, actor=actor, now=now)
    return rules.version, policy.version


def resolve_bundle(
    db_session: Session, *, ref: str, settings: Settings, store: ArtifactStore, actor: str, now: datetime
) -> Bundle:
    """The bundle ``ref`` names (see the module docstring), created for a model version if needed."""
    ref = ref.strip()
    if ref.startswith("bundle-"):
        bundle = service.get_bundle(db_session, bundle=ref)
        if bundle is None:
            raise NotFound(f"no bundle {ref!r}; `listingguard models list` shows registered versions")
        return bundle
    if ref in ALIASES:
        bundle = service.alias_bundle(db_session, name=ref)
        if bundle is None:
            raise NotFound(f"alias {ref} points at nothing yet")
        return bundle
    model = service.get_model_or_raise(db_session, version=ref)
    in_force = service.alias_bundle(db_session, name="production")
    if in_force is not None:
        rules_version, policy_version = in_force.rule_set_version, in_force.policy_version
    else:
        rules_version, policy_version = ensure_defaults(
            db_session, settings=settings, store=store, actor=actor, now=now
        )
    bundle, _ = service.get_or_create_bundle(
        db_session,
        model_version=model.version,
        rule_set_version=rules_version,
        policy_version=policy_version,
        actor=actor,
        now=now,
    )
    return bundle


def served_production_before(db_session: Session, *, bundle_id: str) -> bool:
    """Whether the bundle was ever in production (so moving back to it needs no new evidence)."""
    found = db_session.scalars(
        select(AliasEvent.id).where(AliasEvent.alias == "production", AliasEvent.to_bundle == bundle_id).limit(1)
    ).first()
    return found is not None


def production_evidence(
    db_session: Session, *, bundle: Bundle, settings: Settings
) -> tuple[dict[str, Any] | None, str]:
    """The evidence that lets ``bundle`` into production without an override, or None and what is missing."""
    if not service.ever_set(db_session, name="production"):
        return {"kind": "first", "note": "nothing served production before: the first production bundle"}, ""
    if served_production_before(db_session, bundle_id=bundle.id):
        return {"kind": "served_before", "note": "this bundle served production before"}, ""
    current = service.alias_bundle(db_session, name="production")
    gate = backtest_report.GateConfig(margin=settings.gate_margin, load_budget=settings.gate_load_budget)
    return backtest_report.evidence_for(
        db_session, candidate=bundle.id, production=current.id if current else None, gate=gate
    )


def promote(
    db_session: Session,
    *,
    ref: str,
    alias: str,
    reason: str,
    actor: Actor,
    settings: Settings,
    store: ArtifactStore,
    now: datetime,
    override_reason: str | None = None,
) -> AliasEvent:
    """Point ``alias`` at the bundle ``ref`` names, if the actor may and the evidence allows it."""
    if alias not in ALIASES:
        raise Invalid(f"unknown alias {alias!r}; aliases are {', '.join(ALIASES)}")
    if actor.role not in PROMOTING_ROLES:
        raise Forbidden(f"a {actor.role} may not move aliases (leads and admins may)")
    if not reason.strip():
        raise Invalid("give a --reason: every alias move is recorded with why it was made")
    bundle = resolve_bundle(db_session, ref=ref, settings=settings, store=store, actor=actor.name, now=now)
    current = service.get_alias(db_session, name=alias)
    if current is not None and current.bundle_id == bundle.id:
        raise Invalid(f"alias {alias} already points at {bundle.id}; nothing to do")
    action = "promote"
    evidence: dict[str, Any] | None = None
    if alias == "production":
        evidence, missing = production_evidence(db_session, bundle=bundle, settings=settings)
        if evidence is None:
            if not override_reason or not override_reason.strip():
                raise Forbidden(
                    f"no release evidence for {bundle.id}: {missing}. An admin may release it anyway with "
                    "--override-reason TEXT (recorded as an override in the history and the audit log)."
                )
            if actor.role not in OVERRIDING_ROLES:
                raise Forbidden("only an admin may override the release gate")
            action = "override"
            evidence = {"kind": "override", "override_reason": override_reason, "missing": missing}
        elif evidence["kind"] == "first":
            action = "first"
    return service.move_alias(
        db_session,
        name=alias,
        bundle=bundle,
        expected_generation=current.generation if current is not None else None,
        action=action,
        actor=actor.name,
        reason=reason,
        evidence=evidence,
        now=now,
    )


def rollback(db_session: Session, *, alias: str, reason: str, actor: Actor, now: datetime) -> AliasEvent:
    """Point ``alias`` back at the bundle it named before its last move."""
    if alias not in ALIASES:
        raise Invalid(f"unknown alias {alias!r}; aliases are {', '.join(ALIASES)}")
    if actor.role not in PROMOTING_ROLES:
        raise Forbidden(f"a {actor.role} may not move aliases (leads and admins may)")
    current = service.get_alias(db_session, name=alias)
    if current is None:
        raise NotFound(f"alias {alias} was never set; there is nothing to roll back")
    previous = service.previous_bundle(db_session, name=alias)
    if previous is None:
        raise Invalid(f"alias {alias} has no earlier bundle to roll back to (`listingguard models history`)")
    bundle = service.get_bundle(db_session, bundle=previous)
    if bundle is None:  # pragma: no cover - bundles are never deleted
        raise NotFound(f"bundle {previous} is gone")
    return service.move_alias(
        db_session,
        name=alias,
        bundle=bundle,
        expected_generation=current.generation,
        action="rollback",
        actor=actor.name,
        reason=reason,
        evidence={"kind": "rollback", "from": current.bundle_id},
        now=now,
    )
