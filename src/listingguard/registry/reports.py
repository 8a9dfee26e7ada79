"""Answers to "what is registered, what serves, what served when", in the shapes of ``schemas``."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from listingguard.registry import service
from listingguard.registry.models import Alias
from listingguard.registry.schemas import (
    AliasOut,
    ModelShowOut,
    ModelVersionOut,
    ServedOut,
    bundle_out,
    event_out,
    model_out,
)


def list_models(db_session: Session, *, flt: service.ModelFilter) -> list[ModelVersionOut]:
    """Registered model versions matching ``flt``, newest first, each saying whether it ever served."""
    served = service.served_versions(db_session)
    return [model_out(row, served=row.version in served) for row in service.list_models(db_session, flt=flt)]


def show_model(db_session: Session, *, version: str) -> ModelShowOut:
    """One model version in full: manifest, training data, bundles built from it, aliases naming them."""
    row = service.get_model_or_raise(db_session, version=version)
    bundles = service.bundles_of_model(db_session, version=version)
    ids = {b.id for b in bundles}
    aliases = {a.name: a.bundle_id for a in db_session.scalars(select(Alias)) if a.bundle_id in ids}
    served = version in service.served_versions(db_session)
    return ModelShowOut(
        version=version,
        model=model_out(row, served=served, with_manifest=True),
        bundles=[bundle_out(b) for b in bundles],
        aliases={name: bundle for name, bundle in aliases.items() if bundle},
    )


def aliases(db_session: Session) -> list[AliasOut]:
    """Every alias that was ever set, with the bundle it names now."""
    out = []
    for alias in db_session.scalars(select(Alias).order_by(Alias.name)):
        bundle = service.get_bundle(db_session, bundle=alias.bundle_id) if alias.bundle_id else None
        out.append(
            AliasOut(
                name=alias.name,
                bundle=bundle_out(bundle) if bundle is not None else None,
                generation=alias.generation,
                moved_at=alias.moved_at,
                moved_by=alias.moved_by,
            )
        )
    return out


def served(db_session: Session, *, at: datetime, alias: str = "production") -> ServedOut:
    """Which bundle ``alias`` named at ``at`` (from the append-only history, not from today's state)."""
    event = service.served_at(db_session, at=at, alias=alias)
    bundle = service.get_bundle(db_session, bundle=event.to_bundle) if event is not None and event.to_bundle else None
    return ServedOut(
        alias=alias,
        at=at,
        bundle=bundle_out(bundle) if bundle is not None else None,
        since=event_out(event) if event is not None else None,
    )
