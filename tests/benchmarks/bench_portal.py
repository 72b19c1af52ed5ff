"""Benchmark: the portal's pages and answers at 200 concurrent clients, beside a bare endpoint.

    .venv/bin/python tests/benchmarks/bench_portal.py [--duration 60] [--clients 200]
        [--client httpx|lean|both] [--no-prefect]
    .venv/bin/python tests/benchmarks/bench_portal.py --duration 10     # a quick run

Two servers (tests/benchmarks/load.py: uvicorn subprocesses with the portal's own settings),
measured one after the other by the same load generator (CLIENTS people, one keep-alive
connection each, back to back for DURATION seconds), all while the same Prefect server runs
beside them (started first: its idle services take the same share of this machine from every
scenario). For each client kind (load.py: `httpx`, a Python program's client, and `lean`, the
standard library's, whose floor shows the server's own cost) the floor is measured before and
after the portal and every ratio is to the two together (the two floors show the drift).

- the floor: `GET /floor` on a bare FastAPI app that does nothing (204);
- pages: `GET /r/<token>` on the portal, over 2,000 personal links of meeting invitations: the
  link looked up by its hash, the request and its last answer read, the page rendered;
- answers: `POST /r/<token>` with the page's CSRF token and cookie and a new form id each time,
  alternating 参加 / 不参加 (an RSVP may change): stored by the writer thread (many answers to a
  transaction), acknowledged, then announced in batches to a real Prefect server
  (`prefect server start`, started here; `--no-prefect` leaves it out and the answers wait
  for the sweeper).

Afterwards the database is read: every answer acknowledged with 200 must be stored, once
(lost = acknowledged but absent). Targets: pages ≥ 70 % and answers ≥ 50 % of the floor's
throughput, each p99 within 2× the floor's, 0 answers lost. Every figure is a ratio to the
floor measured in the same run with the same client. Not collected by pytest (only `test_*.py`
is).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import re
import secrets
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlencode

import httpx

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))  # run as a script: make the packages importable

from tests.benchmarks.load import Keyed, Run, hammer, report, server  # noqa: E402

YEAR = 2026
LINKS = 2000


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


def scenarios(
    client: str, *, tokens: list[str], env: dict[str, str], clients: int, seconds: float
) -> tuple[Run, Run, Run, Run]:
    """The floor, the pages, the answers and the floor again, with CLIENT; the answers' run."""

    def bare() -> Run:
        with server("floor", env) as port:
            return hammer(
                port,
                lambda _c, _n: (("GET", "/floor", None, {}), ""),
                clients=clients,
                seconds=seconds,
                client=client,
            )

    floor_before = bare()
    with server("portal", env) as port:
        pages = hammer(
            port,
            lambda c, n: (("GET", f"/r/{tokens[(c * 7919 + n) % len(tokens)]}", None, {}), ""),
            clients=clients,
            seconds=seconds,
            client=client,
        )
        mine = [tokens[c % len(tokens)] for c in range(clients)]
        forms = [_form_of(port, token) for token in mine]

        def answer(c: int, n: int) -> Keyed:
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
            }
            return ("POST", f"/r/{mine[c]}", body, headers), form_id

        answers = hammer(port, answer, clients=clients, seconds=seconds, client=client)
        time.sleep(3)  # the announcer's last batch
    return floor_before, pages, answers, bare()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--duration", type=float, default=60.0, help="seconds per scenario")
    parser.add_argument("--clients", type=int, default=200)
    parser.add_argument("--client", choices=("httpx", "lean", "both"), default="both")
    parser.add_argument("--no-prefect", action="store_true")
    args = parser.parse_args()

    data_dir = Path(tempfile.mkdtemp(prefix="bench-portal-"))
    os.environ["LD_DATA_DIR"] = str(data_dir)
    os.environ.pop("LD_DATABASE_URL", None)
    from sqlmodel import select

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
    kinds = ("httpx", "lean") if args.client == "both" else (args.client,)
    print(
        f"portal benchmark: {args.clients} clients, {args.duration:g} s per scenario, "
        f"{LINKS} links, Prefect {'left out' if args.no_prefect else 'server'}; data in {data_dir}"
    )
    acknowledged: list[str] = []
    with _prefect(not args.no_prefect, data_dir / "prefect") as api_url:
        if api_url:
            env["PREFECT_API_URL"] = api_url
        for kind in kinds:
            before, pages, answers, after = scenarios(
                kind, tokens=tokens, env=env, clients=args.clients, seconds=args.duration
            )
            acknowledged += answers.acknowledged
            floor = before + after
            print(f"client: {kind}")
            report(
                [
                    ("floor, before", before),
                    ("floor, after", after),
                    ("floor (both)", floor),
                    ("pages GET /r/…", pages),
                    ("answers POST /r/…", answers),
                ],
                floor,
            )
            targets = {
                "pages ≥ 70 % of the floor's throughput": pages.rate >= 0.7 * floor.rate,
                "answers ≥ 50 % of the floor's throughput": answers.rate >= 0.5 * floor.rate,
                "pages p99 within 2× the floor's": pages.percentile(0.99)
                <= 2 * floor.percentile(0.99),
                "answers p99 within 2× the floor's": answers.percentile(0.99)
                <= 2 * floor.percentile(0.99),
            }
            for name, met in targets.items():
                print(f"  {'met ' if met else 'MISSED'} {name} ({kind})")

    with session_scope() as session:
        rows = session.exec(select(ResponseAnswer.form_id, ResponseAnswer.announced_at)).all()
    stored = Counter(form_id for form_id, _ in rows)
    announced = sum(1 for _, at in rows if at is not None)
    lost = sum(1 for form_id in acknowledged if stored[form_id] == 0)
    doubled = sum(1 for form_id in acknowledged if stored[form_id] > 1)
    unacked = sum(stored.values()) - len(acknowledged)
    print(
        f"answers acknowledged {len(acknowledged)}, stored {sum(stored.values())}: "
        f"lost {lost}, doubled {doubled}, stored without an answer received {unacked}; "
        f"announced to Prefect by the time the portal stopped: {announced}"
    )
    print(f"  {'met ' if lost == 0 and doubled == 0 else 'MISSED'} 0 answers lost")
    if lost or doubled:
        raise SystemExit("FAILED: an acknowledged answer is missing or stored twice")


if __name__ == "__main__":
    main()
