"""Registering versions, making bundles, moving aliases and answering "what served when".

Services flush and never commit: the CLI's ``session_scope`` or the request owns the transaction, so a
registration or an alias move happens entirely or not at all. Moving an alias is optimistic: it names the
generation it saw, and a concurrent move of the same alias makes it fail with :class:`Conflict` instead of
silently overwriting the other (two admins promoting at once: exactly one wins).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import and_, exists, func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from listingguard.audit import service as audit_service
from listingguard.detection.manifest import parse_manifest
from listingguard.errors import Conflict, Invalid, NotFound
from listingguard.policy.service import parse_policy
from listingguard.registry.models import ALIASES, Alias, AliasEvent, Bundle, ModelVersion, PolicyVersion, RuleSetVersion
from listingguard.registry.store import ArtifactStore, directory_files, files_sha256
from listingguard.rules.engine import load_rule_set, rule_set_version
from listingguard.screening.deployment import bundle_id
from listingguard.screening.models import Action

POLICY_FILE = "policy.yaml"


def feature_key(feature_spec: dict[str, Any]) -> str:
    """Two models whose feature specs have the same key compute the same raw features (shadow shares them)."""
    return hashlib.sha256(json.dumps(feature_spec, sort_keys=True).encode("utf-8")).hexdigest()[:16]


def _topics_key(topics: Sequence[str]) -> str:
    return "," + ",".join(sorted(topics)) + ","


# -- registering ----------------------------------------------------------------------------------------
def register_model(
    db_session: Session, *, store: ArtifactStore, directory: Path, note: str | None, actor: str, now: datetime
) -> tuple[ModelVersion, bool]:
    """Store a model directory as an immutable version; identical content returns the existing version.

    Returns the version and whether it was created now. The manifest is validated (and a format-version-1
    manifest migrated) before anything is written.
    """
    manifest_path = directory / "manifest.json"
    if not manifest_path.is_file():
        raise Invalid(f"{directory} is not a model directory (no manifest.json); train one with `listingguard train`")
    try:
        raw = json.loads(manifest_path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise Invalid(f"{manifest_path} is damaged ({exc}); retrain the model") from None
    manifest = parse_manifest(raw, where=str(directory))
    files = [(name, data) for name, data in directory_files(directory) if not name.startswith(".")]
    if manifest.to_json() != raw:  # a migrated (v1) manifest is stored in the current format
        files = [(n, d) for n, d in files if n != "manifest.json"]
        files.append(("manifest.json", json.dumps(manifest.to_json(), ensure_ascii=False, indent=2).encode()))
    digest = files_sha256(files)
    existing = db_session.scalars(select(ModelVersion).where(ModelVersion.sha256 == digest)).first()
    if existing is not None:
        return existing, False
    clash = db_session.get(ModelVersion, manifest.model_version)
    if clash is not None:
        raise Conflict(
            f"model version {manifest.model_version} is already registered with different content "
            f"(registered {clash.registered_at:%Y-%m-%d %H:%M} by {clash.registered_by}); versions are immutable, "
            "so train a new model instead of editing this one"
        )
    uri = store.put("models", manifest.model_version, files)
    row = ModelVersion(
        version=manifest.model_version,
        sha256=digest,
        uri=uri,
        kind=manifest.kind,
        topics=sorted(manifest.topics),
        topics_key=_topics_key(manifest.topics),
        author=manifest.author,
        created_at=manifest.created_at,
        parent_version=manifest.parent_version,
        feature_key=feature_key(manifest.feature_spec),
        manifest=manifest.to_json(),
        note=note,
        registered_at=now,
        registered_by=actor,
    )
    db_session.add(row)
    _flush_or_conflict(db_session, f"model version {manifest.model_version}")
    audit_service.log(
        db_session,
        actor=actor,
        action="model.register",
        entity="model_version",
        entity_id=row.version,
        now=now,
        after={"sha256": digest, "uri": uri, "topics": row.topics, "note": note},
    )
    return row, True


def register_rule_set(
    db_session: Session, *, store: ArtifactStore, directory: Path, actor: str, now: datetime
) -> RuleSetVersion:
    """Store a rule-set directory (validated by loading it) as an immutable version; identical content is reused."""
    rules = load_rule_set(directory)  # refuses a broken rule set before anything is stored
    version = rule_set_version(directory)
    existing = db_session.get(RuleSetVersion, version)
    if existing is not None:
        return existing
    files = directory_files(directory, "*.yaml")
    uri = store.put("rules", version, files)
    row = RuleSetVersion(
        version=version,
        sha256=files_sha256(files),
        uri=uri,
        topics=rules.topics,
        registered_at=now,
        registered_by=actor,
    )
    db_session.add(row)
    _flush_or_conflict(db_session, f"rule set {version}")
    audit_service.log(
        db_session,
        actor=actor,
        action="rules.register",
        entity="rule_set",
        entity_id=version,
        now=now,
        after={"uri": uri},
    )
    return row


def register_policy(
    db_session: Session, *, store: ArtifactStore, path: Path, actor: str, now: datetime
) -> PolicyVersion:
    """Store a policy file (validated by parsing it) as an immutable version; identical content is reused."""
    if not path.is_file():
        raise Invalid(f"{path}: policy file not found")
    raw = path.read_bytes()
    policy = parse_policy(raw, str(path))
    existing = db_session.get(PolicyVersion, policy.version)
    if existing is not None:
        return existing
    files = [(POLICY_FILE, raw)]
    uri = store.put("policies", policy.version, files)
    row = PolicyVersion(
        version=policy.version,
        sha256=files_sha256(files),
        uri=uri,
        name=policy.name,
        parent=policy.spec.parent,
        topics=policy.topics,
        registered_at=now,
        registered_by=actor,
    )
    db_session.add(row)
    _flush_or_conflict(db_session, f"policy {policy.version}")
    audit_service.log(
        db_session,
        actor=actor,
        action="policy.register",
        entity="policy",
        entity_id=policy.version,
        now=now,
        after={"uri": uri, "name": policy.name, "parent": policy.spec.parent},
    )
    return row


def _flush_or_conflict(db_session: Session, what: str) -> None:
    try:
        with db_session.begin_nested():
            db_session.flush()
    except IntegrityError:
        raise Conflict(f"{what} was registered by a concurrent command; run the command again") from None


def get_or_create_bundle(
    db_session: Session,
    *,
    model_version: str | None,
    rule_set_version: str,
    policy_version: str,
    actor: str,
    now: datetime,
    note: str | None = None,
) -> tuple[Bundle, bool]:
    """The bundle of these registered versions, created if new. Returns it and whether it was created."""
    if model_version is not None and db_session.get(ModelVersion, model_version) is None:
        raise NotFound(
            f"no registered model version {model_version!r}; register it with `listingguard models register`"
        )
    if db_session.get(RuleSetVersion, rule_set_version) is None:
        raise NotFound(f"no registered rule set {rule_set_version!r}")
    if db_session.get(PolicyVersion, policy_version) is None:
        raise NotFound(f"no registered policy {policy_version!r}")
    key = bundle_id(model_version, rule_set_version, policy_version)
    existing = db_session.get(Bundle, key)
    if existing is not None:
        return existing, False
    row = Bundle(
        id=key,
        model_version=model_version,
        rule_set_version=rule_set_version,
        policy_version=policy_version,
        created_at=now,
        created_by=actor,
        note=note,
    )
    db_session.add(row)
    try:
        with db_session.begin_nested():
            db_session.flush()
    except IntegrityError:  # the same bundle made by a concurrent command: the same content, so reuse it
        db_session.expire_all()
        found = db_session.get(Bundle, key)
        if found is None:
            raise
        return found, False
    audit_service.log(
        db_session,
        actor=actor,
        action="bundle.create",
        entity="bundle",
        entity_id=key,
        now=now,
        after={"model": model_version, "rules": rule_set_version, "policy": policy_version},
    )
    return row, True


# -- reading --------------------------------------------------------------------------------------------
def get_model(db_session: Session, *, version: str) -> ModelVersion | None:
    """The registered model version, or None."""
    return db_session.get(ModelVersion, version)


def get_model_or_raise(db_session: Session, *, version: str) -> ModelVersion:
    """The registered model version, or :class:`NotFound` saying how to find one."""
    row = get_model(db_session, version=version)
    if row is None:
        raise NotFound(f"no registered model version {version!r}; `listingguard models list` shows them")
    return row


def get_bundle(db_session: Session, *, bundle: str) -> Bundle | None:
    """The bundle with this id, or None."""
    return db_session.get(Bundle, bundle)


def get_alias(db_session: Session, *, name: str) -> Alias | None:
    """The alias row, or None if it was never set."""
    return db_session.get(Alias, name)


def alias_bundle(db_session: Session, *, name: str) -> Bundle | None:
    """The bundle an alias points at now, or None."""
    alias = get_alias(db_session, name=name)
    return db_session.get(Bundle, alias.bundle_id) if alias is not None and alias.bundle_id else None


def generations(db_session: Session) -> dict[str, int]:
    """Every alias's generation: what serving processes poll to notice a move (one small query)."""
    return {str(name): int(generation) for name, generation in db_session.execute(select(Alias.name, Alias.generation))}


@dataclass(frozen=True, slots=True)
class ModelFilter:
    """Which model versions to list: by topic, author, creation date, and whether they ever served."""

    topic: str | None = None
    author: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    never_served: bool = False
    limit: int = 200


def served_versions(db_session: Session) -> set[str]:
    """Model versions that produced at least one action (through any bundle)."""
    query = select(Bundle.model_version).where(
        Bundle.model_version.is_not(None), exists().where(Action.bundle_id == Bundle.id)
    )
    return {v for v in db_session.scalars(query) if v}


def list_models(db_session: Session, *, flt: ModelFilter) -> list[ModelVersion]:
    """Registered model versions, newest first, filtered."""
    query = select(ModelVersion).order_by(ModelVersion.created_at.desc(), ModelVersion.version).limit(flt.limit)
    if flt.topic:
        query = query.where(ModelVersion.topics_key.like(f"%,{flt.topic},%"))
    if flt.author:
        query = query.where(ModelVersion.author == flt.author)
    if flt.since:
        query = query.where(ModelVersion.created_at >= flt.since)
    if flt.until:
        query = query.where(ModelVersion.created_at < flt.until)
    if flt.never_served:
        served = exists().where(and_(Action.bundle_id == Bundle.id, Bundle.model_version == ModelVersion.version))
        query = query.where(~served)
    return list(db_session.scalars(query))


def bundles_of_model(db_session: Session, *, version: str) -> list[Bundle]:
    """Every bundle built from a model version."""
    return list(db_session.scalars(select(Bundle).where(Bundle.model_version == version).order_by(Bundle.created_at)))


def history(db_session: Session, *, alias: str | None = None, limit: int = 200) -> list[AliasEvent]:
    """Alias moves, most recent first (one alias, or all)."""
    query = select(AliasEvent).order_by(AliasEvent.id.desc()).limit(limit)
    if alias:
        query = query.where(AliasEvent.alias == alias)
    return list(db_session.scalars(query))


def served_at(db_session: Session, *, at: datetime, alias: str = "production") -> AliasEvent | None:
    """The move that put the bundle serving ``alias`` at time ``at`` there (None: nothing served then)."""
    return db_session.scalars(
        select(AliasEvent)
        .where(AliasEvent.alias == alias, AliasEvent.at <= at)
        .order_by(AliasEvent.at.desc(), AliasEvent.id.desc())
        .limit(1)
    ).first()


# -- moving aliases -------------------------------------------------------------------------------------
def move_alias(
    db_session: Session,
    *,
    name: str,
    bundle: Bundle | None,
    expected_generation: int | None,
    action: str,
    actor: str,
    reason: str,
    evidence: dict[str, Any] | None,
    now: datetime,
) -> AliasEvent:
    """Point ``name`` at ``bundle`` (None clears it) if nobody moved it since ``expected_generation``.

    ``expected_generation`` is the generation the caller read (None: the alias must not exist yet). The
    update names it in its WHERE clause, so of two concurrent moves from the same state exactly one matches
    a row; the other raises :class:`Conflict` and its transaction writes nothing.
    """
    if name not in ALIASES:
        raise Invalid(f"unknown alias {name!r}; aliases are {', '.join(ALIASES)}")
    if not reason.strip():
        raise Invalid("give a --reason: every alias move is recorded with why it was made")
    target = bundle.id if bundle is not None else None
    current = db_session.get(Alias, name)
    previous = current.bundle_id if current is not None else None
    conflict = Conflict(
        f"alias {name} was moved by someone else while this was being decided; nothing was changed. "
        f"Look at `listingguard models history --alias {name}` and try again."
    )
    if expected_generation is None:
        if current is not None:
            raise conflict
        generation = 1
        db_session.add(Alias(name=name, bundle_id=target, generation=1, moved_at=now, moved_by=actor))
        try:
            with db_session.begin_nested():
                db_session.flush()
        except IntegrityError:
            raise conflict from None
    else:
        generation = expected_generation + 1
        result = db_session.execute(
            update(Alias)
            .where(Alias.name == name, Alias.generation == expected_generation)
            .values(bundle_id=target, generation=generation, moved_at=now, moved_by=actor)
            .execution_options(synchronize_session=False)
        )
        if result.rowcount != 1:  # type: ignore[attr-defined]
            raise conflict
        db_session.expire_all()
    event = AliasEvent(
        alias=name,
        from_bundle=previous,
        to_bundle=target,
        generation=generation,
        action=action,
        actor=actor,
        reason=reason,
        evidence=evidence,
        at=now,
    )
    db_session.add(event)
    db_session.flush()
    audit_service.log(
        db_session,
        actor=actor,
        action=f"alias.{action}",
        entity="alias",
        entity_id=name,
        now=now,
        before={"bundle": previous},
        after={"bundle": target, "generation": generation, "reason": reason, "evidence": evidence},
    )
    return event


def previous_bundle(db_session: Session, *, name: str) -> str | None:
    """The bundle the alias pointed at before its current one (what a rollback returns to)."""
    alias = db_session.get(Alias, name)
    if alias is None:
        return None
    event = db_session.scalars(
        select(AliasEvent)
        .where(AliasEvent.alias == name, AliasEvent.generation == alias.generation)
        .order_by(AliasEvent.id.desc())
        .limit(1)
    ).first()
    return event.from_bundle if event is not None else None


def ever_set(db_session: Session, *, name: str) -> bool:
    """Whether the alias ever pointed at a bundle (a fresh install's first production needs no evidence)."""
    return db_session.scalar(select(func.count()).select_from(AliasEvent).where(AliasEvent.alias == name)) != 0


def search_filter(text: str) -> Any:
    """A case-insensitive match of ``text`` on version, author or note (the UI's search box)."""
    like = f"%{text.lower()}%"
    return or_(
        func.lower(ModelVersion.version).like(like),
        func.lower(ModelVersion.author).like(like),
        func.lower(func.coalesce(ModelVersion.note, "")).like(like),
    )
