"""Loading registered bundles into screeners, and building the deployment the aliases describe.

Every load checks each artifact's files against the checksum the registry recorded; a mismatch is refused
(:class:`ModelError`) and nothing of that bundle serves. Loaded screeners are cached by bundle id, so a
server that moves back and forth between two bundles (a rollback) loads each once.
"""

from __future__ import annotations

import logging
import threading
from collections import OrderedDict
from collections.abc import Callable
from pathlib import Path

from sqlalchemy.orm import Session

from listingguard.config import Settings
from listingguard.detection.model import ModerationModel
from listingguard.errors import ModelError
from listingguard.policy.service import load_policy
from listingguard.registry import service
from listingguard.registry.models import Bundle, ModelVersion, PolicyVersion, RuleSetVersion
from listingguard.registry.store import ArtifactStore
from listingguard.rules.engine import load_rule_set
from listingguard.screening.deployment import Arm, Deployment
from listingguard.screening.pipeline import Screener

CACHED_BUNDLES = 4

log = logging.getLogger(__name__)


class BundleLoader:
    """Turns registered bundles into screeners (checksums verified), caching the last few."""

    def __init__(self, store: ArtifactStore, *, size: int = CACHED_BUNDLES) -> None:
        self.store = store
        self.size = size
        self._cache: OrderedDict[str, Screener] = OrderedDict()
        self._lock = threading.Lock()

    def load(self, db_session: Session, bundle: Bundle) -> Screener:
        """The screener of ``bundle``; raises :class:`ModelError` if an artifact is missing or altered."""
        with self._lock:
            cached = self._cache.get(bundle.id)
            if cached is not None:
                self._cache.move_to_end(bundle.id)
                return cached
        screener = self._load(db_session, bundle)
        with self._lock:
            self._cache[bundle.id] = screener
            while len(self._cache) > self.size:
                self._cache.popitem(last=False)
        return screener

    def _load(self, db_session: Session, bundle: Bundle) -> Screener:
        rules_row = db_session.get(RuleSetVersion, bundle.rule_set_version)
        policy_row = db_session.get(PolicyVersion, bundle.policy_version)
        if rules_row is None or policy_row is None:
            raise ModelError(f"bundle {bundle.id} names a rule set or policy the registry does not hold")
        rules_dir = self.store.checked_directory(rules_row.uri, rules_row.sha256)
        policy_dir = self.store.checked_directory(policy_row.uri, policy_row.sha256)
        model = None
        if bundle.model_version is not None:
            model_row = db_session.get(ModelVersion, bundle.model_version)
            if model_row is None:
                raise ModelError(f"bundle {bundle.id} names model {bundle.model_version}, which is not registered")
            model = ModerationModel.load(self.store.checked_directory(model_row.uri, model_row.sha256))
        screener = Screener(
            rules=load_rule_set(rules_dir), policy=load_policy(Path(policy_dir) / service.POLICY_FILE), model=model
        )
        if screener.rules.version != bundle.rule_set_version or screener.policy.version != bundle.policy_version:
            raise ModelError(f"bundle {bundle.id}: the stored rule set or policy does not have the registered version")
        return screener


def build_deployment(db_session: Session, *, loader: BundleLoader, defaults: Screener) -> Deployment:
    """The deployment the aliases describe now: production (or ``defaults`` if nothing was promoted) + shadow.

    A shadow whose bundle cannot be loaded is left out (with a note) rather than taking production down;
    a production bundle that cannot be loaded raises, so the caller keeps what it serves.
    """
    state = service.generations(db_session)
    production = service.alias_bundle(db_session, name="production")
    notes: list[str] = []
    if production is None:
        screener, source = defaults, "defaults"
    else:
        screener, source = loader.load(db_session, production), "registry"
    arms: list[Arm] = []
    shadow = service.alias_bundle(db_session, name="shadow")
    if shadow is not None and (production is None or shadow.id != production.id):
        try:
            arms.append(Arm("shadow", loader.load(db_session, shadow)))
        except ModelError as exc:
            notes.append(f"shadow bundle {shadow.id} not loaded: {exc.message}")
    return Deployment(production=screener, arms=tuple(arms), generations=state, source=source, notes=tuple(notes))


def artifact_store(settings: Settings) -> ArtifactStore:
    """The artifact store the settings name (``artifacts/`` under ``home`` by default)."""
    return ArtifactStore(settings.resolved_artifact_store, cache_dir=settings.home / "artifact-cache")


def default_screener(settings: Settings) -> Screener:
    """What serves before anything was promoted: the configured rule set and policy, no model."""
    return Screener(rules=load_rule_set(settings.rules_dir), policy=load_policy(settings.policy_path), model=None)


class LiveDeployment:
    """The deployment a process serves now; :meth:`refresh` follows the aliases.

    ``current`` is one reference, swapped whole: a request or batch reads it once and screens everything
    with that deployment, so a move never splits a batch between two bundles. ``refresh`` costs one small
    query when nothing moved; when something did, the new deployment is loaded (checksums verified)
    before the swap, so the old one keeps serving until the new one is ready, and a bundle that fails to
    load leaves the old one serving (and is logged) instead of taking the server down.
    """

    def __init__(
        self,
        initial: Deployment,
        *,
        sessionmaker: Callable[[], Session] | None = None,
        loader: BundleLoader | None = None,
        defaults: Screener | None = None,
    ) -> None:
        self._current = initial
        self._sessionmaker = sessionmaker
        self._loader = loader
        self._defaults = defaults
        self._lock = threading.Lock()
        self.last_error: str | None = None

    @classmethod
    def fixed(cls, screener: Screener) -> LiveDeployment:
        """A deployment that never changes (``--model DIR``, tests)."""
        return cls(Deployment(production=screener))

    @classmethod
    def from_registry(cls, settings: Settings, sessionmaker: Callable[[], Session]) -> LiveDeployment:
        """Production (and shadow) as the registry names them now, following the aliases from then on."""
        loader = BundleLoader(artifact_store(settings))
        defaults = default_screener(settings)
        with sessionmaker() as db_session:
            initial = build_deployment(db_session, loader=loader, defaults=defaults)
        return cls(initial, sessionmaker=sessionmaker, loader=loader, defaults=defaults)

    @property
    def current(self) -> Deployment:
        return self._current

    @property
    def follows_registry(self) -> bool:
        return self._sessionmaker is not None

    def refresh(self) -> bool:
        """Swap in a new deployment if an alias moved since the current one was built. Blocking: call it
        from a worker thread. Returns whether the deployment changed."""
        if self._sessionmaker is None or self._loader is None or self._defaults is None:
            return False
        with self._lock, self._sessionmaker() as db_session:
            if service.generations(db_session) == dict(self._current.generations or {}):
                return False
            try:
                new = build_deployment(db_session, loader=self._loader, defaults=self._defaults)
            except ModelError as exc:
                if exc.message != self.last_error:
                    log.error(
                        "the aliases moved but the new bundle cannot be loaded (%s); still serving %s",
                        exc.message,
                        self._current.bundle_id,
                    )
                self.last_error = exc.message
                return False
        old, self._current, self.last_error = self._current, new, None
        if new.bundle_id != old.bundle_id or [a.bundle_id for a in new.arms] != [a.bundle_id for a in old.arms]:
            log.info(
                "now serving %s (was %s)%s",
                new.bundle_id,
                old.bundle_id,
                "; observing " + ", ".join(f"{a.role} {a.bundle_id}" for a in new.arms) if new.arms else "",
            )
        return True


def open_deployment(settings: Settings, sessionmaker: Callable[[], Session]) -> LiveDeployment:
    """What a process screens with: ``model_dir`` if one is configured (``--model DIR``: fixed, ad hoc),
    otherwise what the registry's aliases name, followed from then on (rules-only defaults if nothing
    was promoted yet)."""
    if settings.model_dir is not None:
        from listingguard.screening.loader import load_screener

        return LiveDeployment.fixed(load_screener(settings))
    return LiveDeployment.from_registry(settings, sessionmaker)


def describe(deployment: Deployment) -> str:
    """One line saying what screens: for the CLI's start-up messages."""
    model = deployment.production.model_version or "no model (rules only)"
    where = {"fixed": "given model directory", "registry": "production alias", "defaults": "nothing promoted yet"}
    text = f"screening with {deployment.bundle_id}: {model} ({where.get(deployment.source, deployment.source)})"
    if deployment.arms:
        text += "; observing " + ", ".join(f"{a.role} {a.bundle_id}" for a in deployment.arms)
    return text
