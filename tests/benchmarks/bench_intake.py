"""Benchmark: the HTTP intake endpoint under sustained load (R7.3). Run as a script:

    .venv/bin/python tests/benchmarks/bench_intake.py [--seconds 60] [--in-flight 48]
    BENCH_INTAKE_SECONDS=5 .venv/bin/python tests/benchmarks/bench_intake.py   # a quick run

A real uvicorn server (a subprocess on 127.0.0.1, a free port) serves `create_app()` against a
real SQLite database in a temporary directory, with a temporary Prefect server for the events
and the task queue (`--no-prefect` leaves Prefect unreachable: the intake still acknowledges,
the sweeper would screen). Its per-client rate limit is raised (`LD_INTAKE_RATE_PER_MINUTE`):
all the load comes from 127.0.0.1. IN_FLIGHT client threads post back to back, each over one
keep-alive connection, for SECONDS (a bounded loop, loopback only); every answer's status,
latency and reference is recorded. Afterwards the database is read: every submission
acknowledged with 201/200 must be stored exactly once (lost = acknowledged but absent; doubled
= stored twice). The baseline, measured in the same run, is the same kind of submissions
stored in-process one transaction each by `intake.submit` (no HTTP, no queue); the group
commit the endpoint uses is shown in-process too (`intake.submit_many`, batches of 50).

Before the group commit (one transaction and one `.delay()` per request) this endpoint took
6-13 submissions/s with p99 2.5-13 s on this machine.

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
import time
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path

import httpx

YEAR = 2026
ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))  # run as a script: make `tests.load` importable

from tests.load.http_load import HttpLoad, percentile  # noqa: E402


def _serve(port: int) -> None:
    """The server process: the production app object, uvicorn on loopback."""
    import uvicorn

    from deployments.portal.app import create_app
    from tasks.common.events import PrefectApi

    app = create_app(prefect=PrefectApi.current())  # PREFECT_API_URL of the environment
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning")


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


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=None)
    parser.add_argument("--in-flight", type=int, default=48)
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

    from deployments.cli.common import ensure_ready
    from models.db import session_scope
    from models.ideas import Idea
    from tasks.ideas import campaign, intake, records
    from tasks.ideas.screening import Submission
    from tasks.samples.ideas import generate_ideas

    ensure_ready()
    campaign.open_campaign(year=YEAR, start=date(YEAR, 9, 1))
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
        intake.submit(
            year=YEAR, submission=Submission.model_validate(fields), source="bench", now=now
        )
        base_count += 1
    base_rate = base_count / (time.perf_counter() - started)

    # the group commit in-process: the same kind of forms, 50 to a transaction, as long again
    batch_stop = time.monotonic() + base_seconds
    batch_count = 0
    started = time.perf_counter()
    while time.monotonic() < batch_stop:
        batch = [forms.pop() for _ in range(50)]
        items = [
            (YEAR, Submission.model_validate({k: v for k, v in f.items() if k != "year"}))
            for f in batch
        ]
        intake.submit_many(items=items, source="bench", now=now)
        batch_count += len(batch)
    batch_rate = batch_count / (time.perf_counter() - started)

    port = _free_port()
    with _prefect(not args.no_prefect) as api_url:
        env = {
            **os.environ,
            "LD_DATA_DIR": data_dir,
            "PREFECT_API_URL": api_url,
            "PREFECT_LOGGING_LEVEL": "WARNING",
            "LD_INTAKE_RATE_PER_MINUTE": str(10**9),
        }
        with _server(port, env):
            load = HttpLoad(port=port, path="/ideas", threads=args.in_flight)
            elapsed = load.run([[form] for form in forms], stop_at=time.monotonic() + seconds)

    with session_scope() as session:
        rows = session.exec(select(Idea.ref, Idea.enqueued_at).where(Idea.source == "http")).all()
    stored = Counter(ref for ref, _ in rows)
    enqueued = sum(1 for _, at in rows if at is not None)
    statuses = load.statuses()
    latencies = load.latencies()
    acked = Counter(
        str(answer.body["ref"]) for answer in load.answers.values() if answer.status in (200, 201)
    )
    created = statuses[201]
    lost = sum(1 for ref in acked if stored[ref] == 0)
    doubled = sum(1 for ref in acked if stored[ref] > 1)
    unacked = sum(1 for ref in stored if ref not in acked)  # stored, answer not received
    answered = sum(statuses.values())
    rate = answered / elapsed

    print(f"intake over HTTP: {args.in_flight} in flight, {elapsed:.1f} s, data in {data_dir}")
    print(f"prefect: {'temporary server' if not args.no_prefect else 'unreachable'}")
    print(f"{'':<26} {'count/s':>9} {'p50 ms':>8} {'p99 ms':>8} {'ratio':>7}")
    print(f"{'intake.submit (baseline)':<26} {base_rate:>9.1f} {'':>8} {'':>8} {1:>7.2f}")
    print(
        f"{'intake.submit_many (50)':<26} {batch_rate:>9.1f} {'':>8} {'':>8} "
        f"{batch_rate / base_rate:>7.2f}"
    )
    print(
        f"{'POST /ideas':<26} {rate:>9.1f} {percentile(latencies, 0.5) * 1000:>8.1f} "
        f"{percentile(latencies, 0.99) * 1000:>8.1f} {rate / base_rate:>7.2f}"
    )
    codes = ", ".join(f"{code}: {n}" for code, n in sorted(statuses.items()))
    mean = statistics.fmean(latencies) * 1000 if latencies else float("nan")
    print(
        f"answers {answered} ({codes}), transport errors {load.transport_errors}, "
        f"mean {mean:.1f} ms"
    )
    print(
        f"acknowledged {len(acked)} refs ({created} created), stored {sum(stored.values())}: "
        f"lost {lost}, doubled {doubled}, stored without an answer {unacked}; "
        f"put on the task queue by the time the server stopped: {enqueued}"
    )
    if lost or doubled or sum(stored.values()) != created:
        raise SystemExit("FAILED: an acknowledged submission is missing or stored twice")


if __name__ == "__main__":
    main()
