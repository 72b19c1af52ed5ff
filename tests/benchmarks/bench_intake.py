"""Benchmark: the HTTP intake endpoint under sustained load (R7.3). Run as a script:

    .venv/bin/python tests/benchmarks/bench_intake.py [--seconds 60] [--clients 8]
    BENCH_INTAKE_SECONDS=5 .venv/bin/python tests/benchmarks/bench_intake.py   # a quick run

A real uvicorn server (a subprocess on 127.0.0.1, a free port) serves `create_app()` against a
real SQLite database in a temporary directory, with a temporary Prefect server for the event
and the task queue (`--no-prefect` leaves Prefect unreachable: the intake still acknowledges,
the sweeper would screen). CLIENTS threads post generated submissions back to back for SECONDS
(a bounded loop, loopback only); every answer's status, latency and reference is recorded.
Afterwards the database is read: every submission acknowledged with 201/200 must be stored
exactly once (lost = acknowledged but absent; doubled = stored twice). The baseline, measured in
the same run, is the same submissions stored in-process by `records.submit` (no HTTP, no queue).

Not collected by the normal test run (pytest only collects `test_*.py`).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path

import httpx

YEAR = 2026
ROOT = Path(__file__).resolve().parents[2]


def _serve(port: int) -> None:
    """The server process: the production app object, uvicorn on loopback."""
    import uvicorn

    from deployments.intake import create_app

    uvicorn.run(create_app(), host="127.0.0.1", port=port, log_level="warning")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@contextlib.contextmanager
def _prefect(enabled: bool) -> Iterator[str]:
    """A temporary Prefect server's API URL (or an address nothing listens on)."""
    if not enabled:
        yield f"http://127.0.0.1:{_free_port()}/api"
        return
    os.environ["PREFECT_SERVER_ANALYTICS_ENABLED"] = "false"
    from prefect.settings import PREFECT_API_URL
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=120):
        yield str(PREFECT_API_URL.value())


@contextlib.contextmanager
def _server(port: int, env: dict[str, str]) -> Iterator[None]:
    process = subprocess.Popen([sys.executable, __file__, "--serve", str(port)], cwd=ROOT, env=env)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/health", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                raise SystemExit("the intake server did not start")
            time.sleep(0.2)
        yield
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


class Load:
    """CLIENTS threads posting FORMS until SECONDS have passed or the forms run out."""

    def __init__(self, forms: list[dict[str, object]], url: str) -> None:
        self.forms = iter(forms)
        self.url = url
        self.lock = threading.Lock()
        self.latencies: list[float] = []
        self.statuses: Counter[int] = Counter()
        self.acked: list[str] = []
        self.failures = 0

    def _next(self) -> dict[str, object] | None:
        with self.lock:
            return next(self.forms, None)

    def client(self, stop_at: float) -> None:
        with httpx.Client(timeout=30) as http:
            while time.monotonic() < stop_at:
                form = self._next()
                if form is None:
                    return
                started = time.perf_counter()
                try:
                    reply = http.post(self.url, json=form)
                except httpx.HTTPError:
                    with self.lock:
                        self.failures += 1
                    continue
                elapsed = time.perf_counter() - started
                with self.lock:
                    self.latencies.append(elapsed)
                    self.statuses[reply.status_code] += 1
                    if reply.status_code in (200, 201):
                        self.acked.append(str(reply.json()["ref"]))

    def run(self, *, clients: int, seconds: float) -> float:
        stop_at = time.monotonic() + seconds
        threads = [
            threading.Thread(target=self.client, args=(stop_at,), daemon=True)
            for _ in range(clients)
        ]
        started = time.perf_counter()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        return time.perf_counter() - started


def _percentile(values: list[float], share: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=None)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--no-prefect", action="store_true")
    parser.add_argument("--serve", type=int, default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve is not None:
        _serve(args.serve)
        return
    seconds = args.seconds or float(os.environ.get("BENCH_INTAKE_SECONDS", "60"))

    data_dir = tempfile.mkdtemp(prefix="bench-intake-")
    os.environ["LD_DATA_DIR"] = data_dir
    from sqlmodel import select

    from deployments.cli import ensure_ready
    from models.db import session_scope
    from models.ideas import Idea
    from tasks import ideas_records as records
    from tasks.ideas_sample import generate_ideas
    from tasks.screening import Submission

    ensure_ready()
    records.open_campaign(year=YEAR, start=date(YEAR, 9, 1))
    profile, _ = records.profile_and_policy()
    communities = [c for street in profile.streets for c in street.communities]
    # more forms than the run can post; one sample set, split between baseline and HTTP
    samples = generate_ideas(
        count=int(seconds * 1500) + 2000, communities=communities, year=YEAR, seed=11
    )
    forms: list[dict[str, object]] = [
        {
            "submitter": s.submitter,
            "phone": s.phone,
            "community": s.community,
            "title": s.title,
            "content": s.content,
            "year": YEAR,
        }
        for s in samples
    ]

    # baseline: in-process, one writer, no HTTP and no queue, for a sixth of the run (≤ 10 s)
    now = datetime(YEAR, 9, 5, 2, 0, tzinfo=UTC)
    base_seconds = min(10.0, max(1.0, seconds / 6))
    base_stop = time.monotonic() + base_seconds
    base_count = 0
    started = time.perf_counter()
    while time.monotonic() < base_stop:
        form = forms.pop()
        fields = {k: v for k, v in form.items() if k != "year"}
        records.submit(
            year=YEAR, submission=Submission.model_validate(fields), source="bench", now=now
        )
        base_count += 1
    base_rate = base_count / (time.perf_counter() - started)

    port = _free_port()
    with _prefect(not args.no_prefect) as api_url:
        env = {
            **os.environ,
            "LD_DATA_DIR": data_dir,
            "PREFECT_API_URL": api_url,
            "PREFECT_LOGGING_LEVEL": "WARNING",
        }
        with _server(port, env):
            load = Load(forms, f"http://127.0.0.1:{port}/ideas")
            elapsed = load.run(clients=args.clients, seconds=seconds)

    with session_scope() as session:
        stored = Counter(
            ref for ref in session.exec(select(Idea.ref).where(Idea.source == "http")).all()
        )
    acked = Counter(load.acked)
    created = load.statuses[201]
    lost = sum(1 for ref in acked if stored[ref] == 0)
    doubled = sum(1 for ref in acked if stored[ref] > 1)
    unacked = sum(1 for ref in stored if ref not in acked)  # stored, answer not received
    answered = sum(load.statuses.values())
    rate = answered / elapsed

    print(f"intake over HTTP: {args.clients} clients, {elapsed:.1f} s, data in {data_dir}")
    print(f"prefect: {'temporary server' if not args.no_prefect else 'unreachable'}")
    print(f"{'':<26} {'count/s':>9} {'p50 ms':>8} {'p99 ms':>8} {'ratio':>7}")
    print(f"{'records.submit (baseline)':<26} {base_rate:>9.1f} {'':>8} {'':>8} {1:>7.2f}")
    print(
        f"{'POST /ideas':<26} {rate:>9.1f} {_percentile(load.latencies, 0.5) * 1000:>8.1f} "
        f"{_percentile(load.latencies, 0.99) * 1000:>8.1f} {rate / base_rate:>7.2f}"
    )
    codes = ", ".join(f"{code}: {n}" for code, n in sorted(load.statuses.items()))
    mean = statistics.fmean(load.latencies) * 1000 if load.latencies else float("nan")
    print(f"answers {answered} ({codes}), transport errors {load.failures}, mean {mean:.1f} ms")
    print(
        f"acknowledged {len(acked)} refs ({created} created), stored {sum(stored.values())}: "
        f"lost {lost}, doubled {doubled}, stored without an answer {unacked}"
    )
    if lost or doubled or sum(stored.values()) != created:
        raise SystemExit("FAILED: an acknowledged submission is missing or stored twice")


if __name__ == "__main__":
    main()
