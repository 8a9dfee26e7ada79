"""Writing and reading the audit log."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from listingguard.audit.models import AuditEntry


def log(
    db_session: Session,
    *,
    actor: str,
    action: str,
    entity: str,
    entity_id: str | int,
    now: datetime,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
) -> AuditEntry:
    """Append one entry (flushed with the caller's transaction, so it exists exactly when the change does)."""
    entry = AuditEntry(
        at=now, actor=actor, action=action, entity=entity, entity_id=str(entity_id), before=before, after=after
    )
    db_session.add(entry)
    return entry


def get_all(
    db_session: Session, *, entity: str | None = None, entity_id: str | None = None, limit: int = 200
) -> list[AuditEntry]:
    """Most recent entries first, optionally for one entity."""
    query = select(AuditEntry).order_by(AuditEntry.id.desc()).limit(limit)
    if entity:
        query = query.where(AuditEntry.entity == entity)
    if entity_id:
        query = query.where(AuditEntry.entity_id == entity_id)
    return list(db_session.scalars(query))
