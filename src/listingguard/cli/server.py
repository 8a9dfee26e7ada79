"""Server commands: migrate the database, serve the API."""

from __future__ import annotations

import errno
import socket
from pathlib import Path
from typing import Annotated

import typer

from listingguard.cli.common import console, handle_errors, settings_with
from listingguard.errors import Invalid


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
    from listingguard.cli.topics import check_model
    from listingguard.db import migrate as run_migrations
    from listingguard.screening.loader import load_screener

    # Everything that can fail is checked before the address is announced: the database, the model, the port.
    settings = settings_with(database_url, model)
    screener = load_screener(settings)
    if screener.model is not None:
        check_model(screener.model, screener.policy)
    run_migrations(settings.resolved_database_url)
    sock = listen(host, port)
    console.print(f"listingguard on http://{host}:{port}  (API docs: http://{host}:{port}/docs)")
    if workers == 1:
        config = uvicorn.Config(
            create_app(settings, screener=screener, serving=True),
            log_level="warning",
            timeout_keep_alive=server_workers.KEEP_ALIVE_SECONDS,
        )
        try:
            uvicorn.Server(config).run(sockets=[sock])
        finally:
            sock.close()
        return
    del screener  # each worker process loads its own copy
    sock.close()  # the workers' supervisor binds the port again, for the processes it forks
    server_workers.serve(settings, host=host, port=port, workers=workers)


def listen(host: str, port: int) -> socket.socket:
    """The listening socket, or a one-line error saying why the address cannot be used."""
    from listingguard import workers as server_workers

    try:
        return server_workers.bind(host, port)
    except OSError as exc:
        if exc.errno == errno.EADDRINUSE:
            raise Invalid(
                f"port {port} on {host} is already in use (another server is running there); "
                "stop it or choose another --port"
            ) from None
        raise Invalid(f"cannot listen on {host}:{port}: {exc.strerror or exc}; check --host and --port") from None
