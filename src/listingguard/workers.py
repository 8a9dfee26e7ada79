"""Several server processes on one port, each with its own copy of the models.

Why not ``uvicorn --workers``: its supervisor binds the listening socket with ``proto=0``, accepted
connections inherit it, and asyncio then leaves Nagle's algorithm on, so every keep-alive request after
the first waits ~40 ms for a delayed ACK (uvicorn issue #3149, open at the time of writing; measured
here: 43 ms per request). We bind the socket ourselves as TCP, so asyncio sets ``TCP_NODELAY``, and
fork the workers around it.
"""

from __future__ import annotations

import multiprocessing
import signal
import socket
from types import FrameType

import uvicorn

from listingguard.app import create_app
from listingguard.config import Settings
from listingguard.db import dispose_all

KEEP_ALIVE_SECONDS = 65


def bind(host: str, port: int) -> socket.socket:
    """A listening TCP socket (``proto=IPPROTO_TCP``) shared by the worker processes."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.listen(2048)
    sock.set_inheritable(True)
    return sock


def _worker(settings: Settings, sock: socket.socket) -> None:
    # Moderators look at a listing for several seconds between requests; keep their browser's connection
    # open across that (uvicorn's default closes it after 5 s idle).
    config = uvicorn.Config(
        create_app(settings, serving=True), log_level="warning", timeout_keep_alive=KEEP_ALIVE_SECONDS
    )
    uvicorn.Server(config).run(sockets=[sock])


def serve(settings: Settings, *, host: str, port: int, workers: int) -> None:
    """Run ``workers`` processes serving the app on ``host:port`` until interrupted."""
    sock = bind(host, port)
    dispose_all()  # no pooled connection may cross the fork
    context = multiprocessing.get_context("fork")
    processes = [context.Process(target=_worker, args=(settings, sock), daemon=True) for _ in range(workers)]
    for process in processes:
        process.start()

    def stop(_signum: int, _frame: FrameType | None) -> None:
        for process in processes:
            process.terminate()

    signal.signal(signal.SIGTERM, stop)
    try:
        for process in processes:
            process.join()
    except KeyboardInterrupt:
        stop(signal.SIGINT, None)
        for process in processes:
            process.join(timeout=10)
    finally:
        sock.close()
