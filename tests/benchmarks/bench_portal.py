"""Benchmark: the portal's pages and answers at 200 concurrent clients, beside a bare endpoint.

    .venv/bin/python tests/benchmarks/bench_portal.py [--duration 60] [--clients 200]
    .venv/bin/python tests/benchmarks/bench_portal.py --duration 10     # a quick run

Two servers, each a uvicorn subprocess on 127.0.0.1 with the portal's own server settings
(`deployments.portal.serve.server_config`: one process, uvloop, httptools), measured one after
the other by the same load generator (CLIENTS threads, one keep-alive `http.client` connection
each, back to back for DURATION seconds), all while the same Prefect server runs beside them
(started first: its idle services take the same share of this machine from every scenario).
The floor is measured before and after the portal and every ratio is to the two together
(the machine may be shared; the two floors show how much it drifted).

The client is the standard library's, which costs ~0.25 ms of CPU a request: with httpx
(~4 ms) the floor on this machine is a few hundred requests a second, bounded by the client,
and every ratio would measure the client.

- the floor: a bare FastAPI app whose one endpoint does nothing (`GET /floor`, 204) — what this
  machine's Python, uvicorn and client cost per request (on 2 cores the client's own cost,
  ~0.25 ms a request, may bound it);
- pages: `GET /r/<token>` on the portal (`create_app`), over 2,000 personal links of meeting
  invitations: the link looked up by its hash, the request and its last answer read, the page
  rendered;
- answers: `POST /r/<token>` with the page's CSRF token and cookie and a new form id each time,
  alternating 参加 / 不参加 (an RSVP may change): stored by the writer thread (many answers to a
  transaction), acknowledged, then announced in batches to a real Prefect server
  (`prefect server start`, started here; `--no-prefect` leaves it out and the answers wait
  for the sweeper).

Afterwards the database is read: every answer acknowledged with 200 must be stored, once
(lost = acknowledged but absent). Targets: pages ≥ 70 % and answers ≥ 50 % of the floor's
throughput, each p99 within 2× the floor's, 0 answers lost. Every figure is a ratio to the
floor measured in the same run. Not collected by pytest (only `test_*.py` is).
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import os
import re
import secrets
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlencode

import httpx

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))  # run as a script: make the packages importable

YEAR = 2026
LINKS = 2000

# One request: (method, path, body, headers) -> the answer's status and body are kept.
Request = tuple[str, str, bytes | None, dict[str, str]]


@dataclass
class Run:
    """What the load generator saw in one scenario."""

    seconds: float = 0.0
    latencies: list[float] = field(default_factory=list)
    statuses: Counter[int] = field(default_factory=Counter)
    transport_errors: int = 0
    acknowledged: list[str] = field(default_factory=list)  # form ids answered 200

    @property
    def rate(self) -> float:
        return len(self.latencies) / self.seconds if self.seconds else 0.0

    def percentile(self, share: float) -> float:
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(share * len(ordered)))] if ordered else 0.0


class LeanClient:
    """One keep-alive connection through the standard library (~0.25 ms of CPU a request)."""

    def __init__(self, port: int) -> None:
        self.connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)

    def send(self, method: str, path: str, body: bytes | None, headers: dict[str, str]) -> int:
        try:
            self.connection.request(method, path, body=body, headers=headers)
            reply = self.connection.getresponse()
            reply.read()
        except (OSError, http.client.HTTPException):
            self.connection.close()  # reconnects on the next request
            raise
        return reply.status

    def close(self) -> None:
        self.connection.close()


def hammer(
    port: int,
    make: Callable[[int, int], Request],
    *,
    clients: int,
    seconds: float,
) -> Run:
    """CLIENTS threads send `make(client, n)` back to back over keep-alive for SECONDS."""
    run = Run()
    lock = threading.Lock()
    start = threading.Barrier(clients + 1)
    stop_at = [0.0]

    def client(number: int) -> None:
        connection = LeanClient(port)
        mine: list[float] = []
        statuses: Counter[int] = Counter()
        acked: list[str] = []
        errors = 0
        start.wait()
        n = 0
        while time.monotonic() < stop_at[0]:
            method, path, body, headers = make(number, n)
            n += 1
            began = time.perf_counter()
            try:
                status = connection.send(method, path, body, headers)
            except OSError:
                errors += 1
                continue
            mine.append(time.perf_counter() - began)
            statuses[status] += 1
            if method == "POST" and status == 200:
                acked.append(headers["X-Form-Id"])
        connection.close()
        with lock:
            run.latencies += mine
            run.statuses += statuses
            run.acknowledged += acked
            run.transport_errors += errors

    threads = [threading.Thread(target=client, args=(i,), daemon=True) for i in range(clients)]
    for thread in threads:
        thread.start()
    stop_at[0] = time.monotonic() + seconds
    began = time.perf_counter()
    start.wait()
    for thread in threads:
        thread.join()
    run.seconds = time.perf_counter() - began
    return run


# --------------------------------------------------------------------------- the servers


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
def _server(kind: str, env: dict[str, str]) -> Iterator[int]:
    from deployments.runtime.server import free_port

    port = free_port()
    process = subprocess.Popen(
        [sys.executable, __file__, "--serve", kind, str(port)], cwd=ROOT, env=env
    )
    try:
        deadline = time.monotonic() + 90
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
            process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@contextlib.contextmanager
def _prefect(enabled: bool, home: Path) -> Iterator[str | None]:
    if not enabled:
        yield None
        return
    from deployments.runtime.server import start_server, stop_process, wait_healthy

    process, api_url, log = start_server(home=home)
    try:
        wait_healthy(api_url, timeout=180, process=process, log_file=log)
        yield api_url
    finally:
        stop_process(process)


def _links() -> list[str]:
    """LINKS personal links of meeting invitations, open for a month; their tokens."""
    from models.db import session_scope
    from tasks.common import links

    deadline = datetime.now(UTC) + timedelta(days=30)
    tokens = []
    with session_scope() as session:
        for n in range(LINKS):
            url = links.ask(
                session,
                purpose="meeting",
                year=YEAR,
                recipient=f"audience_{n:04d}",
                subject="work_conference",
                audience=f"group-audience_{n:04d}",
                deadline=deadline,
                details={
                    "recipient_name": f"第{n}参会单位",
                    "title": "社区教育工作会议",
                    "day": f"{YEAR + 1}-03-18",
                    "start": "09:00",
                    "end": "11:30",
                    "venue": "区社区教育指导中心报告厅",
                },
            )
            tokens.append(url.rsplit("/", 1)[1])
    return tokens


def _form_of(port: int, token: str) -> tuple[str, str]:
    """The cookie and CSRF token a browser gets with the page (what every form sends back)."""
    page = httpx.get(f"http://127.0.0.1:{port}/r/{token}", timeout=30)
    found = re.search(r'name="csrf" value="([^"]+)"', page.text)
    assert page.status_code == 200 and found, page.text[:500]
    return page.cookies["ld_csrf"], found.group(1)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--duration", type=float, default=60.0, help="seconds per scenario")
    parser.add_argument("--clients", type=int, default=200)
    parser.add_argument("--no-prefect", action="store_true")
    parser.add_argument("--serve", nargs=2, default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve is not None:
        _serve(args.serve[0], int(args.serve[1]))
        return

    data_dir = Path(tempfile.mkdtemp(prefix="bench-portal-"))
    os.environ["LD_DATA_DIR"] = str(data_dir)
    os.environ.pop("LD_DATABASE_URL", None)
    from sqlmodel import col, select

    from deployments.cli.common import ensure_ready
    from models.db import session_scope
    from models.responses import ResponseAnswer

    ensure_ready()
    tokens = _links()
    env = {
        **os.environ,
        "PREFECT_LOGGING_LEVEL": "WARNING",
        "LD_INTAKE_RATE_PER_MINUTE": str(10**9),  # all the load comes from 127.0.0.1
    }
    env.pop("PREFECT_API_URL", None)
    clients, seconds = args.clients, args.duration

    def bare() -> Run:
        with _server("floor", env) as port:
            return hammer(
                port, lambda _c, _n: ("GET", "/floor", None, {}), clients=clients, seconds=seconds
            )

    with _prefect(not args.no_prefect, data_dir / "prefect") as api_url:
        floor_before = bare()
        if api_url:
            env["PREFECT_API_URL"] = api_url
        with _server("portal", env) as port:
            pages = hammer(
                port,
                lambda c, n: ("GET", f"/r/{tokens[(c * 7919 + n) % len(tokens)]}", None, {}),
                clients=clients,
                seconds=seconds,
            )
            mine = [tokens[c % len(tokens)] for c in range(clients)]
            forms = [_form_of(port, token) for token in mine]

            def answer(c: int, n: int) -> Request:
                cookie, csrf = forms[c]
                form_id = secrets.token_urlsafe(16)
                body = urlencode(
                    {
                        "csrf": csrf,
                        "form_id": form_id,
                        "choice": "attend" if n % 2 == 0 else "absent",
                        "note": f"第{n}次回复",
                    }
                ).encode("utf-8")
                headers = {
                    "Content-Type": "application/x-www-form-urlencoded",
                    "Cookie": f"ld_csrf={cookie}",
                    "X-Form-Id": form_id,
                }
                return "POST", f"/r/{mine[c]}", body, headers

            answers = hammer(port, answer, clients=clients, seconds=seconds)
            time.sleep(3)  # the announcer's last batch
        floor_after = bare()
    floor = Run(
        seconds=floor_before.seconds + floor_after.seconds,
        latencies=floor_before.latencies + floor_after.latencies,
        statuses=floor_before.statuses + floor_after.statuses,
        transport_errors=floor_before.transport_errors + floor_after.transport_errors,
    )

    with session_scope() as session:
        stored = Counter(session.exec(select(ResponseAnswer.form_id)).all())
        announced = len(
            session.exec(
                select(ResponseAnswer.id).where(col(ResponseAnswer.announced_at).is_not(None))
            ).all()
        )
    acknowledged = answers.acknowledged
    lost = sum(1 for form_id in acknowledged if stored[form_id] == 0)
    doubled = sum(1 for form_id in acknowledged if stored[form_id] > 1)
    unacked = sum(stored.values()) - len(acknowledged)

    print(
        f"portal benchmark: {clients} clients, {seconds:g} s per scenario, {LINKS} links, "
        f"Prefect {'server' if not args.no_prefect else 'left out'}; data in {data_dir}"
    )
    print(f"{'':<24} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} {'rate ratio':>11} {'p99 ratio':>10}")
    rows = (
        ("floor, before", floor_before),
        ("floor, after", floor_after),
        ("floor (both)", floor),
        ("pages GET /r/…", pages),
        ("answers POST /r/…", answers),
    )
    for name, run in rows:
        print(
            f"{name:<24} {run.rate:>8.1f} {run.percentile(0.5) * 1000:>8.1f} "
            f"{run.percentile(0.99) * 1000:>8.1f} {run.rate / floor.rate:>11.2f} "
            f"{run.percentile(0.99) / floor.percentile(0.99):>10.2f}"
        )
    for name, run in rows:
        codes = ", ".join(f"{code}: {count}" for code, count in sorted(run.statuses.items()))
        print(f"  {name}: {codes}; transport errors {run.transport_errors}")
    print(
        f"answers acknowledged {len(acknowledged)}, stored {sum(stored.values())}: "
        f"lost {lost}, doubled {doubled}, stored without an answer received {unacked}; "
        f"announced to Prefect by the time the portal stopped: {announced}"
    )
    targets = {
        "pages ≥ 70 % of the floor's throughput": pages.rate >= 0.7 * floor.rate,
        "answers ≥ 50 % of the floor's throughput": answers.rate >= 0.5 * floor.rate,
        "pages p99 within 2× the floor's": pages.percentile(0.99) <= 2 * floor.percentile(0.99),
        "answers p99 within 2× the floor's": answers.percentile(0.99) <= 2 * floor.percentile(0.99),
        "0 answers lost": lost == 0 and doubled == 0,
    }
    for name, met in targets.items():
        print(f"  {'met ' if met else 'MISSED'} {name}")
    if lost or doubled:
        raise SystemExit("FAILED: an acknowledged answer is missing or stored twice")


if __name__ == "__main__":
    main()
