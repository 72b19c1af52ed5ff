"""Benchmark: the residents' idea form at 200 concurrent residents, beside a bare endpoint.

    .venv/bin/python tests/benchmarks/bench_idea_form.py [--duration 60] [--clients 200]

    .venv/bin/python tests/benchmarks/bench_idea_form.py --client lean --duration 10

The same servers and load generator as `bench_portal.py` (tests/benchmarks/load.py: uvicorn
subprocesses on 127.0.0.1, CLIENTS threads with one keep-alive connection each, once per client
kind, `--client httpx|lean|both`): first the floor, a bare FastAPI endpoint that does nothing;
then the portal, where each client has opened `/ideas` once (its cookie and form token) and
posts the form back to back: its own new idea each time (a real name, a phone, a community, a
title and 40 characters of its own words), looked up among the similar ideas already submitted,
then stored by the intake's writer and acknowledged.

Afterwards the database is read: every idea acknowledged with its page must be stored, once.
Targets: the form ≥ 50 % of the floor's throughput, p99 within 2× the floor's, 0 lost.
"""

from __future__ import annotations

import argparse
import os
import random
import re
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # the packages, as a script
from tests.benchmarks.load import Keyed, Run, hammer, report, server  # noqa: E402

WORDS = "".join(chr(code) for code in range(0x4E00, 0x4E00 + 3000))


def _form_of(port: int) -> tuple[str, str]:
    page = httpx.get(f"http://127.0.0.1:{port}/ideas", timeout=30)
    found = re.search(r'name="csrf" value="([^"]+)"', page.text)
    assert page.status_code == 200 and found, page.text[:500]
    return page.cookies["ld_form"], found.group(1)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--duration", type=float, default=60.0, help="seconds per scenario")
    parser.add_argument("--clients", type=int, default=200)
    parser.add_argument("--client", choices=("httpx", "lean", "both"), default="both")
    args = parser.parse_args()
    kinds = ("httpx", "lean") if args.client == "both" else (args.client,)

    data_dir = Path(tempfile.mkdtemp(prefix="bench-idea-form-"))
    os.environ["LD_DATA_DIR"] = str(data_dir)
    os.environ.pop("LD_DATABASE_URL", None)
    from sqlmodel import select

    from deployments.cli.common import ensure_ready
    from models.db import session_scope
    from models.ideas import Idea
    from tasks.common.district import active_profile
    from tasks.ideas.campaign import open_campaign

    ensure_ready()
    with session_scope() as session:
        profile = active_profile(session)
    today = datetime.now(UTC).astimezone(ZoneInfo(profile.timezone)).date()
    open_campaign(year=today.year, start=today)
    communities = [c for street in profile.streets for c in street.communities]
    env = {
        **os.environ,
        "PREFECT_LOGGING_LEVEL": "WARNING",
        "LD_INTAKE_RATE_PER_MINUTE": str(10**9),  # all the load comes from 127.0.0.1
    }
    env.pop("PREFECT_API_URL", None)
    clients, seconds = args.clients, args.duration

    runs: dict[str, tuple[Run, Run]] = {}
    for kind in kinds:
        with server("floor", env) as port:
            floor = hammer(
                port,
                lambda _c, _n: (("GET", "/floor", None, {}), ""),
                clients=clients,
                seconds=seconds,
                client=kind,
            )
        with server("portal", env) as port:
            forms = [_form_of(port) for _ in range(clients)]
            rngs = [random.Random(f"{kind}-{c}") for c in range(clients)]  # new texts per kind

            def submit(
                c: int,
                n: int,
                kind: str = kind,
                forms: list[tuple[str, str]] = forms,
                rngs: list[random.Random] = rngs,
            ) -> Keyed:
                cookie, csrf = forms[c]
                title = f"第{c}位居民的第{n}条建议（{kind}）"
                body = urlencode(
                    {
                        "csrf": csrf,
                        "year": str(today.year),
                        "step": "check",
                        "submitter": "王小明",
                        "phone": f"13{c:03d}{n:06d}"[:11],
                        "community": communities[c % len(communities)],
                        "title": title,
                        "content": "".join(rngs[c].choices(WORDS, k=40)),
                    }
                ).encode("utf-8")
                headers = {
                    "Content-Type": "application/x-www-form-urlencoded",
                    "Cookie": f"ld_form={cookie}",
                }
                return ("POST", "/ideas/form", body, headers), title

            runs[kind] = floor, hammer(port, submit, clients=clients, seconds=seconds, client=kind)

    with session_scope() as session:
        titles = set(session.exec(select(Idea.title)).all())
        stored = len(session.exec(select(Idea.id)).all())
    print(f"idea form benchmark: {clients} clients, {seconds:g} s per scenario; data in {data_dir}")
    acknowledged = 0
    for kind, (floor, form) in runs.items():
        print(f"client: {kind}")
        report([("bare endpoint (floor)", floor), ("idea form POST", form)], floor)
        acknowledged += len(form.acknowledged)
        met = form.rate >= 0.5 * floor.rate and form.percentile(0.99) <= 2 * floor.percentile(0.99)
        print(f"  {'met ' if met else 'MISSED'} ≥ 50 % of the floor, p99 ≤ 2× ({kind})")
    lost = sum(1 for _, form in runs.values() for title in form.acknowledged if title not in titles)
    print(f"acknowledged {acknowledged}, stored {stored}, lost {lost}")
    print(f"  {'met ' if lost == 0 else 'MISSED'} 0 lost")


if __name__ == "__main__":
    main()
