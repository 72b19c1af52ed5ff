"""The load generator and servers the portal's benchmarks share (bench_portal, bench_judging,
bench_idea_form): the same client and the same floor for every scenario of a run.

Servers: each a uvicorn subprocess on 127.0.0.1 with the portal's own server settings
(`deployments.portal.serve.server_config`: one process, uvloop, httptools), started as
`python load.py --serve floor|portal PORT`:

- `floor`: a bare FastAPI app whose one endpoint does nothing (`GET /floor`, 204): what this
  machine's Python, uvicorn and client cost per request;
- `portal`: the production portal app (`create_app`), announcing to PREFECT_API_URL if set.

Clients: one thread per simulated person, each with its own keep-alive connection, requests
back to back. Two kinds, chosen per run (`--client`):

- `httpx`: an `httpx.Client` per person, a Python client as a program or a test would use
  (~1-4 ms of CPU a request here): the floor on this machine is a few hundred to a thousand
  requests a second, bounded by the client;
- `lean`: the standard library's `http.client` (~0.25 ms of CPU a request): the floor is a few
  thousand requests a second, so a ratio to it shows the server's own cost per request.
"""

from __future__ import annotations

import contextlib
import http.client
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

import httpx

ROOT = Path(__file__).resolve().parents[2]
# One request: (method, path, body, headers); `key` names what a 2xx/303 acknowledges.
Request = tuple[str, str, bytes | None, dict[str, str]]
Keyed = tuple[Request, str]


@dataclass
class Run:
    """What the load generator saw in one scenario."""

    seconds: float = 0.0
    latencies: list[float] = field(default_factory=list)
    statuses: Counter[int] = field(default_factory=Counter)
    transport_errors: int = 0
    acknowledged: list[str] = field(default_factory=list)  # keys of acknowledged requests

    @property
    def rate(self) -> float:
        return len(self.latencies) / self.seconds if self.seconds else 0.0

    def percentile(self, share: float) -> float:
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(share * len(ordered)))] if ordered else 0.0

    def __add__(self, other: Run) -> Run:
        """Two runs of the same scenario as one (the floor measured before and after)."""
        return Run(
            seconds=self.seconds + other.seconds,
            latencies=self.latencies + other.latencies,
            statuses=self.statuses + other.statuses,
            transport_errors=self.transport_errors + other.transport_errors,
            acknowledged=self.acknowledged + other.acknowledged,
        )


class Client(Protocol):
    def send(self, method: str, path: str, body: bytes | None, headers: dict[str, str]) -> int: ...

    def close(self) -> None: ...


class LeanClient:
    """One keep-alive connection through the standard library (~0.25 ms of CPU a request)."""

    def __init__(self, port: int) -> None:
        self.connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)

    def send(self, method: str, path: str, body: bytes | None, headers: dict[str, str]) -> int:
        try:
            self.connection.request(method, path, body=body, headers=headers)
            reply = self.connection.getresponse()
            reply.read()
        except (OSError, http.client.HTTPException) as exc:
            self.connection.close()  # reconnects on the next request
            raise OSError(str(exc)) from exc
        return reply.status

    def close(self) -> None:
        self.connection.close()


class HttpxClient:
    """One `httpx.Client` (keep-alive, no redirects followed): a Python program's client."""

    def __init__(self, port: int) -> None:
        self.client = httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=60)

    def send(self, method: str, path: str, body: bytes | None, headers: dict[str, str]) -> int:
        try:
            return self.client.request(method, path, content=body, headers=headers).status_code
        except httpx.TransportError as exc:
            raise OSError(str(exc)) from exc

    def close(self) -> None:
        self.client.close()


CLIENTS: dict[str, Callable[[int], Client]] = {"httpx": HttpxClient, "lean": LeanClient}


def _clients(
    port: int,
    work: list[Callable[[Client], tuple[list[float], Counter[int], list[str], int]]],
    client: str,
    on_start: Callable[[], None] = lambda: None,
) -> Run:
    """One thread per WORK item, started together (ON_START just before); their figures
    summed into one Run."""
    run = Run()
    lock = threading.Lock()
    start = threading.Barrier(len(work) + 1)

    def person(job: Callable[[Client], tuple[list[float], Counter[int], list[str], int]]) -> None:
        connection = CLIENTS[client](port)
        start.wait()
        latencies, statuses, acked, errors = job(connection)
        connection.close()
        with lock:
            run.latencies += latencies
            run.statuses += statuses
            run.acknowledged += acked
            run.transport_errors += errors

    threads = [threading.Thread(target=person, args=(job,), daemon=True) for job in work]
    for thread in threads:
        thread.start()
    on_start()
    began = time.perf_counter()
    start.wait()
    for thread in threads:
        thread.join()
    run.seconds = time.perf_counter() - began
    return run


def _send_all(
    connection: Client, requests: Iterator[Keyed], acknowledged: Callable[[int], bool]
) -> tuple[list[float], Counter[int], list[str], int]:
    latencies: list[float] = []
    statuses: Counter[int] = Counter()
    acked: list[str] = []
    errors = 0
    for (method, path, body, headers), key in requests:
        began = time.perf_counter()
        try:
            status = connection.send(method, path, body, headers)
        except OSError:
            errors += 1
            continue
        latencies.append(time.perf_counter() - began)
        statuses[status] += 1
        if key and acknowledged(status):
            acked.append(key)
    return latencies, statuses, acked, errors


def hammer(
    port: int,
    make: Callable[[int, int], Keyed],
    *,
    clients: int,
    seconds: float,
    client: str,
    acknowledged: Callable[[int], bool] = lambda status: status == 200,
) -> Run:
    """CLIENTS people send `make(person, n)` back to back for SECONDS."""
    stop_at = [0.0]

    def job(number: int) -> Callable[[Client], tuple[list[float], Counter[int], list[str], int]]:
        def requests() -> Iterator[Keyed]:
            n = 0
            while time.monotonic() < stop_at[0]:
                yield make(number, n)
                n += 1

        return lambda connection: _send_all(connection, requests(), acknowledged)

    def on_start() -> None:
        stop_at[0] = time.monotonic() + seconds

    return _clients(port, [job(number) for number in range(clients)], client, on_start)


def drive(
    port: int,
    work: list[list[Keyed]],
    *,
    client: str,
    acknowledged: Callable[[int], bool] = lambda status: status == 200,
) -> Run:
    """One person per list of WORK: each sends its requests back to back, then stops."""
    return _clients(
        port,
        [lambda c, r=requests: _send_all(c, iter(r), acknowledged) for requests in work],
        client,
    )


# --------------------------------------------------------------------------- servers


def _floor_app() -> object:
    from fastapi import FastAPI, Response

    app = FastAPI(docs_url=None, redoc_url=None, openapi_url=None)

    @app.get("/floor")
    async def floor() -> Response:
        return Response(status_code=204)

    @app.get("/health")
    async def health() -> dict[str, str]:
        return {"status": "ok"}

    return app


def _serve(kind: str, port: int) -> None:
    """The server process: the floor, or the production portal app; uvicorn on loopback."""
    import uvicorn

    from deployments.portal.serve import server_config

    if kind == "floor":
        app = _floor_app()
    else:
        from deployments.portal.app import create_app
        from tasks.common.events import PrefectApi

        app = create_app(prefect=PrefectApi.current())  # PREFECT_API_URL of the environment
    uvicorn.Server(server_config(app, host="127.0.0.1", port=port)).run()  # type: ignore[arg-type]


@contextlib.contextmanager
def server(kind: str, env: dict[str, str], *, start_timeout: float = 600.0) -> Iterator[int]:
    """A `floor` or `portal` server process for the block; its port."""
    from deployments.runtime.server import free_port

    port = free_port()
    process = subprocess.Popen(
        [sys.executable, __file__, "--serve", kind, str(port)], cwd=ROOT, env=env
    )
    try:
        deadline = time.monotonic() + start_timeout  # a loaded machine takes minutes to start
        while True:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/health", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                raise SystemExit(f"the {kind} server did not start")
            time.sleep(0.2)
        yield port
    finally:
        process.terminate()  # uvicorn stops on SIGTERM; the portal flushes its threads
        try:
            process.wait(timeout=120)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def report(rows: list[tuple[str, Run]], floor: Run) -> None:
    """Throughput, p50 and p99 of each row, and their ratios to FLOOR."""
    print(f"{'':<28} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} {'rate ratio':>11} {'p99 ratio':>10}")
    for name, run in rows:
        print(
            f"{name:<28} {run.rate:>8.1f} {run.percentile(0.5) * 1000:>8.1f} "
            f"{run.percentile(0.99) * 1000:>8.1f} {run.rate / floor.rate:>11.2f} "
            f"{run.percentile(0.99) / floor.percentile(0.99):>10.2f}"
        )
    for name, run in rows:
        codes = ", ".join(f"{code}: {count}" for code, count in sorted(run.statuses.items()))
        print(f"  {name}: {codes}; transport errors {run.transport_errors}")


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))  # run as a script: make the packages importable
    if len(sys.argv) == 4 and sys.argv[1] == "--serve":
        _serve(sys.argv[2], int(sys.argv[3]))
    else:
        raise SystemExit("usage: load.py --serve floor|portal PORT")
