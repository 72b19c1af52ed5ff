"""A local HTTP receiver for Apprise json:// targets, used by tests and benchmarks.

`HttpSink` records every POST (path, the status it answered, the JSON payload Apprise sent) and
answers with `status` after `delay` seconds, like a webhook that takes its time. It serves each
request on its own thread, so concurrent senders are answered concurrently.

`SinkProcess` runs the same receiver in a process of its own (`python -m tests.sinks`), as a
real webhook is: its work does not compete with the sender for one interpreter. It writes what
it receives to a JSON-lines file, read back with `received()`.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import IO, Any


class _Server(ThreadingHTTPServer):
    # The listen backlog: the default 5 drops connections when 64 senders connect at once
    # (the client then waits ~1 s for a SYN retransmit).
    request_queue_size = 1024
    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A sender that stopped waiting (its read timeout) closed the connection before the
        # answer: expected in timeout tests, nothing to print.
        if isinstance(sys.exc_info()[1], ConnectionError):
            return
        super().handle_error(request, client_address)


class HttpSink:
    """A local HTTP server that records every POST on arrival and answers with `status` after
    `delay` s (a sender that times out meanwhile has still delivered)."""

    def __init__(
        self,
        *,
        delay: float = 0.0,
        record: IO[str] | None = None,
        hang_first: int = 0,
        hang: float = 0.0,
    ) -> None:
        """`record`: a text file that also gets each request as a JSON line, flushed at once.
        The first `hang_first` answers wait `hang` s instead of `delay` (longer than a sender's
        read timeout: the message arrived, the sender reports a failure)."""
        self.status = 200
        self.delay = delay
        self.requests: list[tuple[str, int, dict[str, Any]]] = []
        self._lock = threading.Lock()
        sink = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                data = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                status, delay = sink.status, sink.delay
                payload = json.loads(data)
                with sink._lock:
                    sink.requests.append((self.path, status, payload))
                    if len(sink.requests) <= hang_first:
                        delay = hang
                    if record is not None:
                        line = {"path": self.path, "status": status, "payload": payload}
                        record.write(json.dumps(line, ensure_ascii=False) + "\n")
                        record.flush()
                if delay:
                    time.sleep(delay)
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


class SinkProcess:
    """An `HttpSink` answering with 200 after `delay` s, in a process of its own."""

    def __init__(self, *, delay: float, record: Path) -> None:
        self.record = record
        self.process = subprocess.Popen(
            [sys.executable, "-m", "tests.sinks", "--delay", str(delay), "--record", str(record)],
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self.process.stdout is not None
        first = self.process.stdout.readline().split()  # "port N" once it listens
        if first[:1] != ["port"]:
            self.close()
            raise RuntimeError(f"the sink process did not start (said {first!r})")
        self.port = int(first[1])

    def received(self) -> list[tuple[str, dict[str, Any]]]:
        """(path, payload) of every request received so far, in arrival order."""
        lines = self.record.read_text(encoding="utf-8").splitlines()
        return [(row["path"], row["payload"]) for row in map(json.loads, lines)]

    def close(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=10)
        if self.process.stdout is not None:
            self.process.stdout.close()


def main() -> None:
    parser = argparse.ArgumentParser(description="Serve a recording HTTP sink until killed.")
    parser.add_argument("--delay", type=float, default=0.0)
    parser.add_argument("--record", type=Path, required=True)
    args = parser.parse_args()
    with args.record.open("a", encoding="utf-8") as record:
        sink = HttpSink(delay=args.delay, record=record)
        print(f"port {sink.port}", flush=True)
        sink.thread.join()


if __name__ == "__main__":
    main()
