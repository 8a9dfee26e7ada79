"""Server commands: migrate the database, serve the API."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from listingguard.cli.common import console, handle_errors, settings_with


@handle_errors
def migrate(
    database_url: Annotated[
        str | None,
        typer.Option(
            "--database-url",
            envvar="LISTINGGUARD_DATABASE_URL",
            help="Database URL (default: SQLite in LISTINGGUARD_HOME).",
        ),
    ] = None,
) -> None:
    """Create or upgrade the database schema to the latest version (safe to run repeatedly)."""
    from listingguard.db import current_revision
    from listingguard.db import migrate as run_migrations

    url = settings_with(database_url).resolved_database_url
    run_migrations(url)
    console.print(f"database {url} is at schema revision {current_revision(url)}")


@handle_errors
def serve(
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535, help="TCP port.")] = 8000,
    model: Annotated[
        Path | None,
        typer.Option("--model", envvar="LISTINGGUARD_MODEL_DIR", help="Model directory; without one, rules only."),
    ] = None,
    database_url: Annotated[
        str | None, typer.Option("--database-url", envvar="LISTINGGUARD_DATABASE_URL", help="Database URL.")
    ] = None,
    workers: Annotated[int, typer.Option(min=1, max=64, help="Worker processes (one per core is a good start).")] = 1,
) -> None:
    """Serve the HTTP API (and the moderator UI) after bringing the database schema up to date."""
    import uvicorn

    from listingguard import workers as server_workers
    from listingguard.app import create_app
    from listingguard.db import migrate as run_migrations

    settings = settings_with(database_url, model)
    run_migrations(settings.resolved_database_url)
    console.print(f"listingguard on http://{host}:{port}  (API docs: http://{host}:{port}/docs)")
    if workers == 1:
        uvicorn.run(
            create_app(settings, serving=True),
            host=host,
            port=port,
            log_level="warning",
            timeout_keep_alive=server_workers.KEEP_ALIVE_SECONDS,
        )
        return
    server_workers.serve(settings, host=host, port=port, workers=workers)
