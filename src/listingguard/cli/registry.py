"""``listingguard models …``: register versions, make bundles, move aliases, answer "what served when".

Every verb takes ``--json`` and then prints one JSON object (``version`` or ``id`` names what was created
or shown; lists come as ``{"items": [...]}``). The command line acts as an operator with the database's
credentials, with an admin's rights; each move records the operating-system user as its actor
(``cli:<user>``) unless ``--actor`` names someone else.
"""

from __future__ import annotations

import getpass
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.table import Table

from listingguard.cli.common import console, handle_errors, settings_with
from listingguard.errors import Invalid

if TYPE_CHECKING:
    from pydantic import BaseModel

app = typer.Typer(
    help="The model registry: register versions, bundle them with a rule set and policy, move aliases.",
    no_args_is_help=True,
)

DatabaseUrl = Annotated[
    str | None,
    typer.Option("--database-url", envvar="LISTINGGUARD_DATABASE_URL", help="Database URL (default: SQLite in HOME)."),
]
Json = Annotated[bool, typer.Option("--json", help="Print one JSON object instead of a table.")]
Actor = Annotated[str | None, typer.Option("--actor", help="Who is acting (recorded); default cli:<OS user>.")]
AliasName = Annotated[str, typer.Option("--alias", "-a", help="production, candidate or shadow.")]


def actor_name(actor: str | None) -> str:
    if actor:
        return actor
    try:
        return f"cli:{getpass.getuser()}"
    except Exception:  # no user name in a bare container
        return "cli"


def parse_moment(value: str, option: str) -> datetime:
    """An ISO date or date-time; naive values are UTC."""
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise Invalid(
            f"{option} {value!r}: give an ISO date or date-time, e.g. 2026-11-20 or 2026-11-20T10:00"
        ) from None
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


def _emit(obj: BaseModel | dict[str, Any]) -> None:
    data = obj if isinstance(obj, dict) else obj.model_dump(mode="json")
    console.print_json(json.dumps(data, ensure_ascii=False, default=str))


def open_registry(database_url: str | None) -> tuple[Any, Any]:
    from listingguard.db import get_engine, migrate
    from listingguard.registry.serving import artifact_store

    settings = settings_with(database_url)
    url = settings.resolved_database_url
    migrate(url)
    return settings, (get_engine(url), artifact_store(settings))


@app.command("register")
@handle_errors
def register(
    directory: Annotated[Path, typer.Argument(help="A model directory written by `listingguard train`.")],
    note: Annotated[
        str | None, typer.Option("--note", help="Why this version exists (shown in `models list`).")
    ] = None,
    as_json: Json = False,
    actor: Actor = None,
    database_url: DatabaseUrl = None,
) -> None:
    """Store a model directory as an immutable version (copied into the artifact store, checksummed).

    Registering identical content again returns the same version. The manifest is validated; an old
    manifest (format 1) is migrated, keeping what it records and marking unknown row counts as unknown.
    """
    from listingguard.db import session_scope
    from listingguard.registry import service
    from listingguard.registry.schemas import model_out

    _, (engine, store) = open_registry(database_url)
    with session_scope(engine) as session:
        row, created = service.register_model(
            session, store=store, directory=directory, note=note, actor=actor_name(actor), now=datetime.now(UTC)
        )
        out = model_out(row)
    if as_json:
        _emit({**out.model_dump(mode="json"), "created": created})
        return
    verb = "registered" if created else "already registered (identical content)"
    console.print(f"model [bold]{out.version}[/] {verb}: topics {', '.join(out.topics)}; stored at {out.uri}")
    console.print(f"next: `listingguard models promote {out.version} --alias candidate --reason ...`")


@app.command("bundle")
@handle_errors
def bundle(
    model: Annotated[
        str | None, typer.Option("--model", "-m", help="A registered model version (omit for rules only).")
    ] = None,
    rules: Annotated[
        Path | None,
        typer.Option("--rules", help="Rule-set directory (default: the one in production, else the configured one)."),
    ] = None,
    policy: Annotated[
        Path | None,
        typer.Option("--policy", help="Policy file (default: the one in production, else the configured one)."),
    ] = None,
    note: Annotated[str | None, typer.Option("--note", help="Why this bundle exists.")] = None,
    as_json: Json = False,
    actor: Actor = None,
    database_url: DatabaseUrl = None,
) -> None:
    """Make a bundle (model + rule set + policy) to release; a changed rule set or policy is a release too.

    The rule set and policy given are registered (idempotent); what is not given is taken from production.
    """
    from listingguard.db import session_scope
    from listingguard.registry import service
    from listingguard.registry.schemas import bundle_out
    from listingguard.release.promote import ensure_defaults

    settings, (engine, store) = open_registry(database_url)
    now, who = datetime.now(UTC), actor_name(actor)
    with session_scope(engine) as session:
        production = service.alias_bundle(session, name="production")
        if production is not None:
            rules_version, policy_version = production.rule_set_version, production.policy_version
        else:
            rules_version, policy_version = ensure_defaults(session, settings=settings, store=store, actor=who, now=now)
        if rules is not None:
            rules_version = service.register_rule_set(session, store=store, directory=rules, actor=who, now=now).version
        if policy is not None:
            policy_version = service.register_policy(session, store=store, path=policy, actor=who, now=now).version
        row, created = service.get_or_create_bundle(
            session,
            model_version=model,
            rule_set_version=rules_version,
            policy_version=policy_version,
            actor=who,
            now=now,
            note=note,
        )
        out = bundle_out(row)
    if as_json:
        _emit({**out.model_dump(mode="json"), "created": created})
        return
    console.print(
        f"bundle [bold]{out.id}[/] {'created' if created else 'exists'}: model {out.model_version or '(rules only)'}, "
        f"rules {out.rule_set_version}, policy {out.policy_version}"
    )


@app.command("list")
@handle_errors
def list_models(
    topic: Annotated[str | None, typer.Option("--topic", help="Only versions with a detector for this topic.")] = None,
    author: Annotated[str | None, typer.Option("--author", help="Only versions trained by this author.")] = None,
    since: Annotated[str | None, typer.Option("--since", help="Created on or after (ISO date).")] = None,
    until: Annotated[str | None, typer.Option("--until", help="Created before (ISO date).")] = None,
    never_served: Annotated[
        bool, typer.Option("--never-served", help="Only versions that never produced an action.")
    ] = False,
    limit: Annotated[int, typer.Option("--limit", min=1, max=10000, help="At most this many.")] = 200,
    as_json: Json = False,
    database_url: DatabaseUrl = None,
) -> None:
    """Registered model versions, newest first, and where the aliases point."""
    from listingguard.db import session_scope
    from listingguard.registry import reports, service

    flt = service.ModelFilter(
        topic=topic,
        author=author,
        since=parse_moment(since, "--since") if since else None,
        until=parse_moment(until, "--until") if until else None,
        never_served=never_served,
        limit=limit,
    )
    _, (engine, _store) = open_registry(database_url)
    with session_scope(engine) as session:
        items = reports.list_models(session, flt=flt)
        aliases = reports.aliases(session)
    if as_json:
        _emit(
            {
                "items": [i.model_dump(mode="json") for i in items],
                "aliases": [a.model_dump(mode="json") for a in aliases],
            }
        )
        return
    named = {a.bundle.model_version: a.name for a in aliases if a.bundle is not None and a.bundle.model_version}
    table = Table(title=f"{len(items)} model version(s)", title_justify="left")
    table.add_column("version", no_wrap=True)  # copied into the next command: never folded
    for column in ("topics", "author", "created", "served", "alias", "note"):
        table.add_column(column, overflow="fold")
    for item in items:
        table.add_row(
            item.version,
            ", ".join(item.topics),
            item.author,
            f"{item.created_at:%Y-%m-%d %H:%M}",
            "yes" if item.served else "never",
            named.get(item.version, ""),
            item.note or "",
        )
    console.print(table)
    for alias in aliases:
        target = alias.bundle.id if alias.bundle else "(cleared)"
        console.print(f"{alias.name}: {target} (generation {alias.generation}, moved by {alias.moved_by})")


@app.command("show")
@handle_errors
def show(
    ref: Annotated[str, typer.Argument(help="A model version, a bundle id (bundle-…) or an alias.")],
    as_json: Json = False,
    database_url: DatabaseUrl = None,
) -> None:
    """A model version's lineage (data sources with hashes and row counts, windows, metrics, parent) and
    the bundles built from it; or a bundle's three versions."""
    from listingguard.db import session_scope
    from listingguard.registry import reports, service
    from listingguard.registry.models import ALIASES
    from listingguard.registry.schemas import bundle_out

    _, (engine, _store) = open_registry(database_url)
    with session_scope(engine) as session:
        if ref.startswith("bundle-") or ref in ALIASES:
            row = (
                service.get_bundle(session, bundle=ref)
                if ref.startswith("bundle-")
                else service.alias_bundle(session, name=ref)
            )
            if row is None:
                raise Invalid(f"{ref}: no such bundle (or the alias points at nothing)")
            bundle_json = bundle_out(row)
            if as_json:
                _emit(bundle_json)
                return
            console.print(
                f"bundle [bold]{bundle_json.id}[/]: model {bundle_json.model_version or '(rules only)'}, "
                f"rules {bundle_json.rule_set_version}, policy {bundle_json.policy_version}; made "
                f"{bundle_json.created_at:%Y-%m-%d %H:%M} by {bundle_json.created_by}"
            )
            return
        shown = reports.show_model(session, version=ref)
    if as_json:
        _emit(shown)
        return
    model, manifest = shown.model, shown.model.manifest or {}
    console.print(f"model [bold]{model.version}[/] ({model.kind}), topics {', '.join(model.topics)}")
    console.print(
        f"  trained by {model.author} at {model.created_at:%Y-%m-%d %H:%M}; parent {model.parent_version or '-'}"
    )
    console.print(
        f"  registered by {model.registered_by} at {model.registered_at:%Y-%m-%d %H:%M}; sha256 {model.sha256[:16]}…"
    )
    console.print(f"  served: {'yes' if model.served else 'never'}")
    window = manifest.get("label_window") or {}
    holdout = (manifest.get("holdout") or {}).get("window") or {}
    console.print(
        f"  label window {window.get('start')} → {window.get('end')}; "
        f"hold-out {holdout.get('start')} → {holdout.get('end')}"
    )
    console.print("  training data:")
    for source in model.training_data:
        rows = "unknown rows" if source.rows is None else f"{source.rows} rows"
        console.print(f"    {source.kind} {source.name}: {rows}, sha256 {source.sha256[:16]}…")
    for bundle_json in shown.bundles:
        names = [n for n, b in shown.aliases.items() if b == bundle_json.id]
        console.print(
            f"  bundle {bundle_json.id}: rules {bundle_json.rule_set_version}, policy {bundle_json.policy_version}"
            + (f" [bold]← {', '.join(names)}[/]" if names else "")
        )


@app.command("promote")
@handle_errors
def promote(
    ref: Annotated[
        str, typer.Argument(help="A bundle id, a model version (with the rules and policy in force) or an alias.")
    ],
    alias: AliasName,
    reason: Annotated[str, typer.Option("--reason", "-r", help="Why (recorded in the history and the audit log).")],
    override_reason: Annotated[
        str | None,
        typer.Option(
            "--override-reason", help="Release to production without evidence, saying why (recorded as an override)."
        ),
    ] = None,
    as_json: Json = False,
    actor: Actor = None,
    database_url: DatabaseUrl = None,
) -> None:
    """Point an alias at a bundle. Running servers switch within a few seconds, without a restart.

    Production takes only a bundle with release evidence: a passed backtest against the bundle in production,
    one that served production before, or the first bundle of a fresh install; anything else needs
    --override-reason, which is recorded as an override.
    """
    from listingguard.db import session_scope
    from listingguard.registry.schemas import event_out
    from listingguard.release import promote as release

    settings, (engine, store) = open_registry(database_url)
    with session_scope(engine) as session:
        event = event_out(
            release.promote(
                session,
                ref=ref,
                alias=alias,
                reason=reason,
                actor=release.Actor(actor_name(actor), "admin"),
                settings=settings,
                store=store,
                now=datetime.now(UTC),
                override_reason=override_reason,
            )
        )
    _print_move(event, as_json)


@app.command("rollback")
@handle_errors
def rollback(
    reason: Annotated[str, typer.Option("--reason", "-r", help="Why (recorded in the history and the audit log).")],
    alias: AliasName = "production",
    as_json: Json = False,
    actor: Actor = None,
    database_url: DatabaseUrl = None,
) -> None:
    """Point an alias back at the bundle it named before its last move (servers follow within seconds)."""
    from listingguard.db import session_scope
    from listingguard.registry.schemas import event_out
    from listingguard.release import promote as release

    _, (engine, _store) = open_registry(database_url)
    with session_scope(engine) as session:
        event = event_out(
            release.rollback(
                session,
                alias=alias,
                reason=reason,
                actor=release.Actor(actor_name(actor), "admin"),
                now=datetime.now(UTC),
            )
        )
    _print_move(event, as_json)


def _print_move(event: Any, as_json: bool) -> None:
    if as_json:
        _emit(event)
        return
    console.print(
        f"{event.alias}: {event.from_bundle or '(nothing)'} → [bold]{event.to_bundle}[/] "
        f"({event.action}, generation {event.generation}); running servers switch within a few seconds"
    )


@app.command("history")
@handle_errors
def history(
    alias: Annotated[str | None, typer.Option("--alias", "-a", help="Only this alias.")] = None,
    limit: Annotated[int, typer.Option("--limit", min=1, max=10000, help="At most this many moves.")] = 50,
    as_json: Json = False,
    database_url: DatabaseUrl = None,
) -> None:
    """Every alias move, newest first: who, from what, to what, when, why, on what evidence."""
    from listingguard.db import session_scope
    from listingguard.registry import service
    from listingguard.registry.schemas import event_out

    _, (engine, _store) = open_registry(database_url)
    with session_scope(engine) as session:
        events = [event_out(e) for e in service.history(session, alias=alias, limit=limit)]
    if as_json:
        _emit({"items": [e.model_dump(mode="json") for e in events]})
        return
    table = Table(title=f"{len(events)} alias move(s)", title_justify="left")
    for column in ("at", "alias", "action", "from", "to", "by", "reason"):
        table.add_column(column, overflow="fold")
    for e in events:
        table.add_row(
            f"{e.at:%Y-%m-%d %H:%M:%S}", e.alias, e.action, e.from_bundle or "-", e.to_bundle or "-", e.actor, e.reason
        )
    console.print(table)


@app.command("served")
@handle_errors
def served(
    at: Annotated[str, typer.Option("--at", help="A moment (ISO, UTC if no offset), e.g. 2026-11-20T10:00.")],
    alias: AliasName = "production",
    as_json: Json = False,
    database_url: DatabaseUrl = None,
) -> None:
    """Which bundle served an alias at a moment, and the move (who, why) that put it there."""
    from listingguard.db import session_scope
    from listingguard.registry import reports

    moment = parse_moment(at, "--at")
    _, (engine, _store) = open_registry(database_url)
    with session_scope(engine) as session:
        out = reports.served(session, at=moment, alias=alias)
    if as_json:
        _emit({"id": out.bundle.id if out.bundle else None, **out.model_dump(mode="json")})
        return
    if out.bundle is None or out.since is None:
        console.print(f"nothing was registered as {alias} at {moment:%Y-%m-%d %H:%M} UTC (rules-only defaults served)")
        return
    console.print(
        f"{alias} at {moment:%Y-%m-%d %H:%M} UTC: [bold]{out.bundle.id}[/] "
        f"(model {out.bundle.model_version or 'none'}, "
        f"rules {out.bundle.rule_set_version}, policy {out.bundle.policy_version}), since "
        f"{out.since.at:%Y-%m-%d %H:%M} ({out.since.action} by {out.since.actor}: {out.since.reason})"
    )
