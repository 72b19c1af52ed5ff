"""A small TCP proxy that can make a server unreachable for a few seconds.

It forwards a local port to an upstream server (PostgreSQL here). `cut(seconds)` closes the
listening socket and every open connection, then listens again on the same port after
`seconds`: clients see their connections break and new ones refused, exactly as when the
database is restarted, while the real server (shared with others on this machine) keeps running.
`trip_on(pattern, seconds)` cuts the moment a client sends bytes containing `pattern` — before
they are forwarded — so a test can break the connection in the middle of a chosen statement.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable


class FlakyProxy:
    def __init__(self, upstream: tuple[str, int]) -> None:
        self.upstream = upstream
        self.cuts: list[float] = []  # monotonic times of each cut
        self._lock = threading.Lock()
        self._connections: set[socket.socket] = set()
        self._pattern: bytes | None = None
        self._trip_seconds = 0.0
        self._after_cut: Callable[[], None] | None = None
        self._closed = False
        self._listener = self._listen(0)
        self.port: int = self._listener.getsockname()[1]
        self._serve(self._listener)

    # ------------------------------------------------------------------ control

    def trip_on(
        self, pattern: bytes, seconds: float, after_cut: Callable[[], None] | None = None
    ) -> None:
        """Cut for `seconds` when a client next sends `pattern`; then call `after_cut()`."""
        with self._lock:
            self._pattern, self._trip_seconds, self._after_cut = pattern, seconds, after_cut

    def cut(self, seconds: float) -> None:
        """Drop every connection and refuse new ones for `seconds`, then listen again."""
        with self._lock:
            listener, self._listener = self._listener, None
            connections, self._connections = self._connections, set()
            self._pattern = None
            after, self._after_cut = self._after_cut, None
            self.cuts.append(time.monotonic())
        if listener is not None:
            listener.close()
        for connection in connections:
            _close(connection)
        threading.Timer(seconds, self._reopen).start()
        if after is not None:
            threading.Thread(target=after, daemon=True).start()

    def close(self) -> None:
        with self._lock:
            self._closed = True
            listener, self._listener = self._listener, None
            connections, self._connections = self._connections, set()
        if listener is not None:
            listener.close()
        for connection in connections:
            _close(connection)

    # ------------------------------------------------------------------ plumbing

    def _listen(self, port: int) -> socket.socket:
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", port))
        listener.listen(64)
        listener.settimeout(0.1)  # accept() wakes to notice a cut
        return listener

    def _reopen(self) -> None:
        with self._lock:
            if self._closed:
                return
            self._listener = self._listen(self.port)
            listener = self._listener
        self._serve(listener)

    def _serve(self, listener: socket.socket) -> None:
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()

    def _accept(self, listener: socket.socket) -> None:
        while True:
            with self._lock:
                if self._listener is not listener:
                    return
            try:
                client, _ = listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            client.settimeout(None)
            try:
                server = socket.create_connection(self.upstream, timeout=5)
            except OSError:
                _close(client)
                continue
            server.settimeout(None)
            with self._lock:
                if self._listener is not listener:  # cut while connecting
                    _close(client)
                    _close(server)
                    return
                self._connections |= {client, server}
            threading.Thread(target=self._pump, args=(client, server, True), daemon=True).start()
            threading.Thread(target=self._pump, args=(server, client, False), daemon=True).start()

    def _pump(self, source: socket.socket, target: socket.socket, watch: bool) -> None:
        try:
            while data := source.recv(65536):
                if watch:
                    with self._lock:
                        pattern, seconds = self._pattern, self._trip_seconds
                    if pattern is not None and pattern in data:
                        self.cut(seconds)
                        return
                target.sendall(data)
        except OSError:
            pass
        _close(source)
        _close(target)


def _close(connection: socket.socket) -> None:
    try:
        connection.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass
    connection.close()
