"""A local HTTP receiver for Apprise json:// targets, used by tests and benchmarks.

`HttpSink` records every POST (path, the status it answered, the JSON payload Apprise sent) and
answers with `status` after `delay` seconds, like a webhook that takes its time. It serves each
request on its own thread, so concurrent senders are answered concurrently.
"""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


class _Server(ThreadingHTTPServer):
    # The listen backlog: the default 5 drops connections when 64 senders connect at once
    # (the client then waits ~1 s for a SYN retransmit).
    request_queue_size = 1024
    daemon_threads = True


class HttpSink:
    """A local HTTP server that records every POST and answers with `status` after `delay` s."""

    def __init__(self, *, delay: float = 0.0) -> None:
        self.status = 200
        self.delay = delay
        self.requests: list[tuple[str, int, dict[str, Any]]] = []
        self._lock = threading.Lock()
        sink = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                data = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                if sink.delay:
                    time.sleep(sink.delay)
                status = sink.status
                with sink._lock:
                    sink.requests.append((self.path, status, json.loads(data)))
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = _Server(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self.thread.start()

    @property
    def accepted(self) -> list[tuple[str, dict[str, Any]]]:
        """(path, payload) of every request answered with 200."""
        with self._lock:
            return [(path, payload) for path, status, payload in self.requests if status == 200]

    def clear(self) -> None:
        """Forget what was received so far."""
        with self._lock:
            self.requests.clear()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
