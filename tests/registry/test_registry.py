"""Registering versions, bundles, aliases with history, the release gate, and checksum-verified loads."""

from __future__ import annotations

import json
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from listingguard.config import Settings
from listingguard.db import get_engine, session_scope
from listingguard.errors import Conflict, Forbidden, Invalid, ModelError
from listingguard.registry import reports, service
from listingguard.registry.serving import BundleLoader, artifact_store, default_screener
from listingguard.registry.store import ArtifactStore
from listingguard.release import promote as release
from tests.registry.conftest import variant

ADMIN = release.Actor("ada", "admin")
LEAD = release.Actor("lee", "lead")
NOW = datetime(2026, 11, 20, 10, 0, tzinfo=UTC)


def _register(settings: Settings, directory: Path, note: str | None = None) -> tuple[str, bool]:
    with session_scope(get_engine(settings.resolved_database_url)) as session:
        row, created = service.register_model(
            session, store=artifact_store(settings), directory=directory, note=note, actor="tests", now=NOW
        )
        return row.version, created


def _promote(
    settings: Settings,
    ref: str,
    alias: str,
    *,
    actor: release.Actor = ADMIN,
    override: str | None = None,
    now: datetime = NOW,
) -> str:
    with session_scope(get_engine(settings.resolved_database_url)) as session:
        event = release.promote(
            session,
            ref=ref,
            alias=alias,
            reason="tests",
            actor=actor,
            settings=settings,
            store=artifact_store(settings),
            now=now,
            override_reason=override,
        )
        assert event.to_bundle is not None
        return event.to_bundle


def test_register_is_idempotent_and_records_lineage(registry_settings: Settings, trained_model: Path) -> None:
    version, created = _register(registry_settings, trained_model, note="first")
    again, created_again = _register(registry_settings, trained_model)
    assert created and not created_again and again == version
    with session_scope(get_engine(registry_settings.resolved_database_url)) as session:
        shown = reports.show_model(session, version=version)
    assert shown.model.author == "tests" and shown.model.note == "first"
    recorded = json.loads((trained_model / "manifest.json").read_text())["training_data"]["sources"]
    assert [s.rows for s in shown.model.training_data] == [r["rows"] for r in recorded]
    stored = Path(shown.model.uri.removeprefix("file://"))
    assert (stored / "manifest.json").is_file() and (stored / "arrays.npz").is_file()


def test_same_version_with_other_content_is_refused(
    registry_settings: Settings, trained_model: Path, tmp_path: Path
) -> None:
    _register(registry_settings, trained_model)
    other = variant(
        trained_model, tmp_path / "other", json.loads((trained_model / "manifest.json").read_text())["model_version"]
    )
    manifest = json.loads((other / "manifest.json").read_text())
    manifest["author"] = "someone else"
    (other / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(Conflict, match="immutable"):
        _register(registry_settings, other)


def test_old_manifest_is_migrated_and_a_broken_one_refused(
    registry_settings: Settings, trained_model: Path, tmp_path: Path
) -> None:
    old = variant(trained_model, tmp_path / "old", "model-old-format")
    manifest = json.loads((old / "manifest.json").read_text())
    manifest["format_version"] = 1
    manifest.pop("parent_version", None)
    manifest.pop("kind", None)
    for source in manifest["training_data"]["sources"]:
        source["rows"] = 0
    (old / "manifest.json").write_text(json.dumps(manifest))
    version, _ = _register(registry_settings, old)
    with session_scope(get_engine(registry_settings.resolved_database_url)) as session:
        shown = reports.show_model(session, version=version)
    assert shown.model.training_data[0].rows is None  # unknown, not invented
    assert shown.model.manifest is not None and shown.model.manifest["format_version"] == 2

    broken = variant(trained_model, tmp_path / "broken", "model-broken")
    manifest = json.loads((broken / "manifest.json").read_text())
    del manifest["topics"]
    (broken / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(ModelError, match="topics"):
        _register(registry_settings, broken)


def test_a_modified_artifact_is_refused_on_load(registry_settings: Settings, trained_model: Path) -> None:
    version, _ = _register(registry_settings, trained_model)
    bundle_id = _promote(registry_settings, version, "production")
    engine = get_engine(registry_settings.resolved_database_url)
    with session_scope(engine) as session:
        row = service.get_model_or_raise(session, version=version)
        bundle = service.get_bundle(session, bundle=bundle_id)
        assert bundle is not None
        stored = Path(row.uri.removeprefix("file://"))
        with (stored / "detectors.json").open("a") as fh:
            fh.write(" ")
        with pytest.raises(ModelError, match="registered checksum"):
            BundleLoader(artifact_store(registry_settings)).load(session, bundle)


def test_a_remote_store_is_copied_to_the_cache_and_checked(
    registry_settings: Settings, trained_model: Path, tmp_path: Path
) -> None:
    settings = registry_settings.model_copy(update={"artifact_store": "memory://lg-tests-" + tmp_path.name})
    version, _ = _register(settings, trained_model)
    bundle_id = _promote(settings, version, "production")
    with session_scope(get_engine(settings.resolved_database_url)) as session:
        bundle = service.get_bundle(session, bundle=bundle_id)
        assert bundle is not None
        screener = BundleLoader(artifact_store(settings)).load(session, bundle)
    assert screener.model_version == version
    assert any((settings.home / "artifact-cache").iterdir())


class TestReleaseGate:
    def test_first_production_then_new_bundles_need_evidence(
        self, registry_settings: Settings, trained_model: Path, tmp_path: Path
    ) -> None:
        first, _ = _register(registry_settings, trained_model)
        second, _ = _register(registry_settings, variant(trained_model, tmp_path / "b", "model-second"))
        a = _promote(registry_settings, first, "production")
        with pytest.raises(Forbidden, match="no release evidence"):
            _promote(registry_settings, second, "production")
        with pytest.raises(Forbidden, match="only an admin"):
            _promote(registry_settings, second, "production", actor=LEAD, override="tests")
        with pytest.raises(Forbidden, match="may not move"):
            _promote(registry_settings, second, "candidate", actor=release.Actor("mo", "moderator"))
        b = _promote(registry_settings, second, "candidate", actor=LEAD)  # non-acting aliases need no evidence
        b_again = _promote(registry_settings, b, "production", override="tests", now=NOW + timedelta(hours=1))
        assert b_again == b != a
        with session_scope(get_engine(registry_settings.resolved_database_url)) as session:
            moves = [(e.alias, e.action, e.to_bundle) for e in reversed(service.history(session))]
        assert moves == [("production", "first", a), ("candidate", "promote", b), ("production", "override", b)]

    def test_rollback_returns_to_the_previous_bundle_and_served_at_answers_history(
        self, registry_settings: Settings, trained_model: Path, tmp_path: Path
    ) -> None:
        first, _ = _register(registry_settings, trained_model)
        second, _ = _register(registry_settings, variant(trained_model, tmp_path / "b", "model-second"))
        a = _promote(registry_settings, first, "production")
        b = _promote(registry_settings, second, "production", override="tests", now=NOW + timedelta(hours=2))
        with session_scope(get_engine(registry_settings.resolved_database_url)) as session:
            event = release.rollback(
                session, alias="production", reason="worse", actor=LEAD, now=NOW + timedelta(hours=3)
            )
        assert (event.from_bundle, event.to_bundle, event.action) == (b, a, "rollback")
        with session_scope(get_engine(registry_settings.resolved_database_url)) as session:
            assert reports.served(session, at=NOW - timedelta(minutes=1)).bundle is None
            assert reports.served(session, at=NOW + timedelta(hours=1)).bundle.id == a  # type: ignore[union-attr]
            assert reports.served(session, at=NOW + timedelta(hours=2, minutes=5)).bundle.id == b  # type: ignore[union-attr]
            assert reports.served(session, at=NOW + timedelta(hours=4)).bundle.id == a  # type: ignore[union-attr]
            # b served production before, so moving back to it needs no override
        assert _promote(registry_settings, b, "production", now=NOW + timedelta(hours=5)) == b

    def test_alias_history_is_append_only(self, registry_settings: Settings, trained_model: Path) -> None:
        version, _ = _register(registry_settings, trained_model)
        _promote(registry_settings, version, "production")
        engine = get_engine(registry_settings.resolved_database_url)
        for statement in ("UPDATE alias_events SET reason = 'edited'", "DELETE FROM alias_events"):
            with pytest.raises(DBAPIError), engine.begin() as conn:
                conn.execute(text(statement))

    def test_a_model_version_means_the_rules_and_policy_in_force(
        self, registry_settings: Settings, trained_model: Path
    ) -> None:
        version, _ = _register(registry_settings, trained_model)
        bundle_id = _promote(registry_settings, version, "production")
        defaults = default_screener(registry_settings)
        with session_scope(get_engine(registry_settings.resolved_database_url)) as session:
            bundle = service.get_bundle(session, bundle=bundle_id)
        assert bundle is not None and bundle.model_version == version
        assert (bundle.rule_set_version, bundle.policy_version) == (defaults.rules.version, defaults.policy.version)

    def test_unknown_alias_and_missing_reason(self, registry_settings: Settings, trained_model: Path) -> None:
        version, _ = _register(registry_settings, trained_model)
        with pytest.raises(Invalid, match="unknown alias"):
            _promote(registry_settings, version, "prod")
        with (
            session_scope(get_engine(registry_settings.resolved_database_url)) as session,
            pytest.raises(Invalid, match="reason"),
        ):
            release.promote(
                session,
                ref=version,
                alias="shadow",
                reason="  ",
                actor=ADMIN,
                settings=registry_settings,
                store=artifact_store(registry_settings),
                now=NOW,
            )


def test_concurrent_moves_of_one_alias_exactly_one_wins(
    registry_settings: Settings, trained_model: Path, tmp_path: Path, database_url: str
) -> None:
    if not database_url.startswith("postgresql"):
        pytest.skip("row-level concurrency is what PostgreSQL serves; SQLite serialises writers")
    versions = [_register(registry_settings, trained_model)[0]]
    for i in range(5):
        versions.append(_register(registry_settings, variant(trained_model, tmp_path / f"v{i}", f"model-v{i}"))[0])
    bundles = [_promote(registry_settings, v, "candidate") for v in versions[:1]]
    engine = get_engine(registry_settings.resolved_database_url)
    with session_scope(engine) as session:
        alias = service.get_alias(session, name="candidate")
        assert alias is not None
        seen = alias.generation
    barrier = threading.Barrier(5)
    outcomes: list[str] = []

    def move(version: str) -> None:
        with session_scope(engine) as session:
            bundle = release.resolve_bundle(
                session,
                ref=version,
                settings=registry_settings,
                store=artifact_store(registry_settings),
                actor="t",
                now=NOW,
            )
        barrier.wait()
        try:
            with session_scope(engine) as session:
                service.move_alias(
                    session,
                    name="candidate",
                    bundle=bundle,
                    expected_generation=seen,
                    action="promote",
                    actor="t",
                    reason="race",
                    evidence=None,
                    now=NOW,
                )
            outcomes.append("won")
        except Conflict:
            outcomes.append("conflict")

    threads = [threading.Thread(target=move, args=(v,)) for v in versions[1:]]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == ["conflict"] * 4 + ["won"]
    with session_scope(engine) as session:
        assert len(service.history(session, alias="candidate")) == 2
        assert service.get_alias(session, name="candidate").generation == seen + 1  # type: ignore[union-attr]
    assert bundles


def test_never_served_lists_versions_without_actions(
    registry_settings: Settings, trained_model: Path, tmp_path: Path
) -> None:
    from listingguard.db import session_factory
    from listingguard.intake.flows import ingest_and_screen
    from listingguard.listings.schemas import ListingIn
    from listingguard.registry.serving import LiveDeployment
    from tests.conftest import listing

    first, _ = _register(registry_settings, trained_model)
    second, _ = _register(registry_settings, variant(trained_model, tmp_path / "b", "model-second"))
    _promote(registry_settings, first, "production")
    engine = get_engine(registry_settings.resolved_database_url)
    live = LiveDeployment.from_registry(registry_settings, session_factory(engine))
    with session_scope(engine) as session:
        ingest_and_screen(session, screener=live.current, listings=[ListingIn.model_validate(listing())])
    with session_scope(engine) as session:
        never = [m.version for m in reports.list_models(session, flt=service.ModelFilter(never_served=True))]
        everything = reports.list_models(session, flt=service.ModelFilter())
    assert never == [second]
    assert {m.version: m.served for m in everything} == {first: True, second: False}


def test_store_refuses_an_unknown_filesystem(tmp_path: Path) -> None:
    with pytest.raises(Invalid, match="cannot be opened"):
        ArtifactStore("nosuchfs://bucket", cache_dir=tmp_path)
