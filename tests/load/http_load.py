"""A load client for HTTP endpoints: N threads, one keep-alive connection each (`http.client`).

Used by the intake burst test and the intake benchmark. The standard library's client costs
~0.25 ms of CPU per request on this machine; httpx's AsyncClient cost ~4 ms, so a load test
built on it measured its own client rather than the server.

Work comes as jobs: a job is a list of JSON bodies that one thread posts in order over its
connection (so a resubmission in a job is sent only after the first answer came back). Every
answer is kept with its job and position; a transport error is counted and the connection
reopened.
"""

from __future__ import annotations

import http.client
import json
import threading
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any


@dataclass
class Answer:
    status: int
    body: dict[str, Any]
    seconds: float


@dataclass
class HttpLoad:
    """Posts JOBS to http://127.0.0.1:PORT/PATH from THREADS threads."""

    port: int
    path: str
    threads: int
    answers: dict[tuple[int, int], Answer] = field(default_factory=dict)  # (job, position)
    transport_errors: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def run(
        self, jobs: Sequence[Sequence[dict[str, Any]]], *, stop_at: float = float("inf")
    ) -> float:
        """Post every job (or until the monotonic clock passes STOP_AT); return the seconds."""
        pending = iter(enumerate(jobs))
        workers = [
            threading.Thread(target=self._work, args=(pending, stop_at), daemon=True)
            for _ in range(self.threads)
        ]
        started = time.perf_counter()
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join()
        return time.perf_counter() - started

    def latencies(self) -> list[float]:
        return [answer.seconds for answer in self.answers.values()]

    def statuses(self) -> Counter[int]:
        return Counter(answer.status for answer in self.answers.values())

    def _next(self, pending: Any) -> tuple[int, Sequence[dict[str, Any]]] | None:
        with self._lock:
            return next(pending, None)

    def _work(self, pending: Any, stop_at: float) -> None:
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=120)
        try:
            while time.monotonic() < stop_at:
                job = self._next(pending)
                if job is None:
                    return
                number, bodies = job
                for position, body in enumerate(bodies):
                    answer = self._post(connection, body)
                    with self._lock:
                        if answer is None:
                            self.transport_errors += 1
                        else:
                            self.answers[(number, position)] = answer
        finally:
            connection.close()

    def _post(self, connection: http.client.HTTPConnection, body: dict[str, Any]) -> Answer | None:
        data = json.dumps(body, ensure_ascii=False).encode("utf-8")
        started = time.perf_counter()
        try:
            connection.request(
                "POST", self.path, body=data, headers={"Content-Type": "application/json"}
            )
            reply = connection.getresponse()
            raw = reply.read()
        except (OSError, http.client.HTTPException):
            connection.close()  # http.client reconnects on the next request
            return None
        seconds = time.perf_counter() - started
        parsed = json.loads(raw) if raw else {}
        return Answer(reply.status, parsed if isinstance(parsed, dict) else {}, seconds)


def percentile(values: Sequence[float], share: float) -> float:
    """The SHARE quantile of VALUES (nearest rank); NaN for none."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]
