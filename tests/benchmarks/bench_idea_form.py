"""Benchmark: the residents' idea form at 200 concurrent residents, beside a bare endpoint.

    .venv/bin/python tests/benchmarks/bench_idea_form.py [--duration 60] [--clients 200]

The same servers and load generator as `bench_portal.py` (uvicorn subprocesses on 127.0.0.1,
CLIENTS threads with one keep-alive standard-library connection each): first the floor, a bare
FastAPI endpoint that does nothing; then the portal, where each client has opened `/ideas` once
(its cookie and form token) and posts the form back to back: its own new idea each time (a
real name, a phone, a community, a title and 40 characters of its own words), looked up among
the similar ideas already submitted, then stored by the intake's writer and acknowledged.

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

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_portal import Request, _server, hammer  # noqa: E402

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
    args = parser.parse_args()

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

    with _server("floor", env) as port:
        floor = hammer(
            port, lambda _c, _n: ("GET", "/floor", None, {}), clients=clients, seconds=seconds
        )

    with _server("portal", env) as port:
        forms = [_form_of(port) for _ in range(clients)]
        rngs = [random.Random(c) for c in range(clients)]

        def submit(c: int, n: int) -> Request:
            cookie, csrf = forms[c]
            title = f"第{c}位居民的第{n}条建议"
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
                "X-Form-Id": f"{c}-{n}",  # the title's numbers (a header is Latin-1)
            }
            return "POST", "/ideas/form", body, headers

        form = hammer(port, submit, clients=clients, seconds=seconds)

    with session_scope() as session:
        titles = set(session.exec(select(Idea.title)).all())
        stored = len(session.exec(select(Idea.id)).all())
    acked = [key.split("-") for key in form.acknowledged]
    lost = sum(1 for c, n in acked if f"第{c}位居民的第{n}条建议" not in titles)
    print(f"idea form benchmark: {clients} clients, {seconds:g} s per scenario; data in {data_dir}")
    print(f"{'':<24} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} {'rate ratio':>11} {'p99 ratio':>10}")
    for name, run in (("bare endpoint (floor)", floor), ("idea form POST", form)):
        print(
            f"{name:<24} {run.rate:>8.1f} {run.percentile(0.5) * 1000:>8.1f} "
            f"{run.percentile(0.99) * 1000:>8.1f} {run.rate / floor.rate:>10.2f}x "
            f"{run.percentile(0.99) / floor.percentile(0.99):>9.1f}x"
        )
    print(
        f"statuses {dict(form.statuses)}; acknowledged {len(form.acknowledged)}, stored {stored}, "
        f"lost {lost}; transport errors {form.transport_errors}"
    )


if __name__ == "__main__":
    main()
