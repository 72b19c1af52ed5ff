"""Benchmark: notification fan-out to json:// targets answering in 50 ms. Run as a
script:

    .venv/bin/python tests/benchmarks/bench_fanout.py [--messages 10000] [--offices 500]

One local HTTP sink (tests/sinks.py, in a process of its own like a real webhook) answers every
POST after --delay seconds; each of --offices community offices is a json:// target (its own
path). Measured in the same run, on the same
notifier and sink:

- sequential: plain Apprise sends one after the other (`AppriseNotifier.send`), a sample;
- Apprise async_notify: one `async_notify` per message, all gathered (64 at a time), each on
  an Apprise holding that office alone with Apprise's default asset: Apprise's own
  concurrency, capped by its worker pool (min(32, cores + 4) threads), a sample;
- ours: `deliver_pending` over the real outbox (a temporary SQLite database: staging, planning,
  booking every attempt), at the default LD_DELIVERY_CONCURRENCY on all messages, and at a few
  other concurrencies on a sample.

Each row gives msg/s, the ratio to sequential and the p99 latency of one send.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import apprise

from models.db import migrate
from models.settings import get_settings
from tasks.notify.adapter import AppriseNotifier
from tasks.notify.delivery import deliver_pending
from tests import fanout
from tests.sinks import SinkProcess


@contextmanager
def fresh_database(root: Path, name: str) -> Iterator[None]:
    """Point the settings at a new SQLite database under `root` and migrate it."""
    os.environ["LD_DATA_DIR"] = str(root / name)
    os.environ["LD_DATABASE_URL"] = f"sqlite:///{root / name}.db"
    get_settings.cache_clear()
    migrate()
    try:
        yield
    finally:
        get_settings.cache_clear()


def async_notify_rate(
    port: int, *, messages: int, offices: int, in_flight: int
) -> tuple[float, list[float]]:
    """Apprise's own concurrency: gathered async_notify calls, one office per Apprise."""
    senders = []
    for number in range(offices):
        sender = apprise.Apprise()
        sender.add(f"json://127.0.0.1:{port}/{fanout.office(number)}", tag=fanout.office(number))
        senders.append(sender)
    seconds: list[float] = []

    async def send_all() -> None:
        gate = asyncio.Semaphore(in_flight)

        async def one(number: int) -> None:
            async with gate:
                started = time.perf_counter()
                result = await senders[number % offices].async_notify(
                    body=fanout.body_of(number),
                    title=fanout.TITLE,
                    body_format="text",
                    tag=fanout.office(number % offices),
                    match_always=False,
                )
                seconds.append(time.perf_counter() - started)
                if not result:
                    raise RuntimeError(f"async_notify to {fanout.office(number)} failed")

        await asyncio.gather(*(one(number) for number in range(messages)))

    started = time.perf_counter()
    asyncio.run(send_all())
    return messages / (time.perf_counter() - started), seconds


def ours_rate(
    config: Path, *, messages: int, offices: int, concurrency: int
) -> tuple[float, list[float], float]:
    """deliver_pending over the outbox; returns msg/s, send latencies and staging seconds."""
    notifier = fanout.TimedNotifier(AppriseNotifier(config))
    started = time.perf_counter()
    fanout.stage_residents(messages, offices=offices)
    staging = time.perf_counter() - started
    started = time.perf_counter()
    report = deliver_pending(notifier=notifier, concurrency=concurrency)
    rate = messages / (time.perf_counter() - started)
    if report.sends_ok != messages or report.failures:
        raise RuntimeError(f"delivery incomplete: {report.sends_ok} ok, {report.failures[:3]}")
    return rate, notifier.seconds, staging


Row = tuple[str, int, float, list[float]]


def measure(args: argparse.Namespace, *, root: Path, port: int) -> tuple[list[Row], float, float]:
    """Every row of the table, the sequential rate and the seconds staging took."""
    rows: list[Row] = []
    config = fanout.write_config(root / "apprise.yml", port=port, offices=args.offices)
    timed = fanout.TimedNotifier(AppriseNotifier(config))
    sequential = fanout.sequential_rate(timed, sends=args.sequential_sample, offices=args.offices)
    rows.append(("sequential Apprise sends", args.sequential_sample, sequential, timed.seconds))

    rate, seconds = async_notify_rate(
        port, messages=args.async_sample, offices=args.offices, in_flight=64
    )
    rows.append(("Apprise async_notify, 64 gathered", args.async_sample, rate, seconds))

    default = get_settings().delivery_concurrency
    with fresh_database(root, "default"):
        rate, seconds, staging = ours_rate(
            config, messages=args.messages, offices=args.offices, concurrency=default
        )
    rows.append((f"ours, concurrency {default} (default)", args.messages, rate, seconds))
    for concurrency in [int(c) for c in args.sweep.split(",") if c.strip()]:
        with fresh_database(root, f"c{concurrency}"):
            rate, seconds, _ = ours_rate(
                config, messages=args.sweep_sample, offices=args.offices, concurrency=concurrency
            )
        rows.append((f"ours, concurrency {concurrency}", args.sweep_sample, rate, seconds))
    return rows, sequential, staging


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--messages", type=int, default=10_000)
    parser.add_argument("--offices", type=int, default=500)
    parser.add_argument("--delay", type=float, default=0.05)
    parser.add_argument("--sequential-sample", type=int, default=150)
    parser.add_argument("--async-sample", type=int, default=2_000)
    parser.add_argument("--sweep", default="8,16,128", help="other concurrencies to try")
    parser.add_argument("--sweep-sample", type=int, default=3_000)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="bench-fanout-") as temp:
        root = Path(temp)
        sink = SinkProcess(delay=args.delay, record=root / "received.jsonl")
        try:
            rows, sequential, staging = measure(args, root=root, port=sink.port)
        finally:
            sink.close()

    print(
        f"fan-out to {args.offices} json:// targets answering in {args.delay * 1000:.0f} ms "
        f"(staging {args.messages:,} messages took {staging:.1f} s, not counted)"
    )
    print(f"{'method':<36} {'messages':>8} {'msg/s':>8} {'× seq':>6} {'p99 ms':>7}")
    for name, count, rate, seconds in rows:
        p99 = fanout.percentile(seconds, 0.99) * 1000
        print(f"{name:<36} {count:>8,} {rate:>8.1f} {rate / sequential:>6.1f} {p99:>7.0f}")


if __name__ == "__main__":
    main()
