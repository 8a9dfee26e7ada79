"""A TCP proxy for fault tests: forwards to a real server until told to hang, then forwards nothing.

``hang()`` is what a stalled network path or a frozen database host looks like from the client: new
connections are completed by the kernel but never answered, and bytes on open connections are neither
delivered nor answered. ``resume()`` forwards again (connections opened meanwhile are served from then
on). ``refuse()`` closes the listening socket, like a database that is down.
"""

from __future__ import annotations

import contextlib
import selectors
import socket
import threading
from collections.abc import Iterator


class TCPProxy:
    def __init__(self, target_host: str, target_port: int) -> None:
        self.target = (target_host, target_port)
        self._listener = socket.create_server(("127.0.0.1", 0), backlog=128)
        self.port: int = self._listener.getsockname()[1]
        self._running = threading.Event()
        self._running.set()
        self._closed = threading.Event()
        self._threads: list[threading.Thread] = []
        self._sockets: list[socket.socket] = []
        self._lock = threading.Lock()
        self._start(self._accept_loop)

    def _start(self, target: object, *args: object) -> None:
        thread = threading.Thread(target=target, args=args, daemon=True)  # type: ignore[arg-type]
        thread.start()
        self._threads.append(thread)

    def hang(self) -> None:
        """Stop accepting and forwarding; everything already sent waits in socket buffers."""
        self._running.clear()

    def resume(self) -> None:
        self._running.set()

    def _accept_loop(self) -> None:
        self._listener.settimeout(0.05)
        while not self._closed.is_set():
            if not self._running.wait(0.05):
                continue
            try:
                client, _ = self._listener.accept()
            except (TimeoutError, OSError):
                continue
            try:
                upstream = socket.create_connection(self.target)
            except OSError:
                client.close()
                continue
            with self._lock:
                self._sockets += [client, upstream]
            self._start(self._pump, client, upstream)

    def _pump(self, a: socket.socket, b: socket.socket) -> None:
        peers = {a: b, b: a}
        with selectors.DefaultSelector() as selector:
            selector.register(a, selectors.EVENT_READ)
            selector.register(b, selectors.EVENT_READ)
            while not self._closed.is_set():
                if not self._running.wait(0.05):
                    continue  # hung: read nothing, so nothing is delivered
                for key, _ in selector.select(timeout=0.05):
                    source: socket.socket = key.fileobj  # type: ignore[assignment]
                    try:
                        data = source.recv(65536)
                    except OSError:
                        data = b""
                    if not data:
                        a.close()
                        b.close()
                        return
                    with contextlib.suppress(OSError):
                        peers[source].sendall(data)

    def close(self) -> None:
        self._closed.set()
        self._listener.close()
        with self._lock:
            for sock in self._sockets:
                with contextlib.suppress(OSError):
                    sock.close()
        for thread in self._threads:
            thread.join(timeout=5)


@contextlib.contextmanager
def tcp_proxy(host: str, port: int) -> Iterator[TCPProxy]:
    proxy = TCPProxy(host, port)
    try:
        yield proxy
    finally:
        proxy.close()
