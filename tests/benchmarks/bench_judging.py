"""Benchmark: judges submitting scores through the portal, beside a bare endpoint, same client.

    .venv/bin/python tests/benchmarks/bench_judging.py [--rows 150000] [--judges 60]
    .venv/bin/python tests/benchmarks/bench_judging.py --rows 15000     # a quick run

A year of ROWS / 3 nominations is generated and the round opened as `scoring open` opens it
(the balanced assignment with recusal, k = 3), so the JUDGES judges hold ROWS assignments
between them. Then two servers, each a uvicorn subprocess on 127.0.0.1 with the same settings,
are driven by the same load generator (tests/benchmarks/load.py: one thread and one keep-alive
connection per judge, back to back) with the same number of requests, once per client kind
(`--client httpx|lean|both`: a Python program's client, and the standard library's, whose
floor shows the server's own cost; a judge's second pass submits the same scores again):

- the floor: a bare FastAPI app whose one endpoint does nothing (`GET /floor`, 204);
- submissions: each judge posts every assigned nomination's four criteria to
  `POST /j/<token>/score` (action submit, the page's CSRF token and cookie), each answered
  by the redirect back to the page once stored (a 303 is an acknowledgement).

Afterwards the database is read: every acknowledged submission must be an `award_score` row
(lost = acknowledged but absent). Targets: submissions at ≥ 50 % of the floor's throughput,
p99 within 2× the floor's, 0 lost. Two families of data: scores spread over the range, and
every judge giving the same scores (ties everywhere; the same write path, compared with the
same floor). Not collected by pytest (only `test_*.py` is).
"""

from __future__ import annotations

import argparse
import csv
import os
import re
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlencode

import httpx

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))  # run as a script: make the packages importable

from tests.benchmarks.load import Keyed, Run, drive, report, server  # noqa: E402

YEAR = 2027
CRITERIA = ("organisation", "activities", "participation", "effect")
FAMILIES = ("spread", "ties")


def _setup(rows: int, judges: int, folder: Path) -> dict[str, str]:
    """Judges imported, ROWS / 3 nominations, the round opened; each judge's link token."""
    from sqlmodel import select

    from models.awards import Nomination
    from models.db import session_scope
    from models.outbox import OutboxMessage
    from tasks.common import clock
    from tasks.common.district import profile_in_force
    from tasks.importing.judges import import_judges_file
    from tasks.judging.records import open_round
    from tasks.samples.awards import generate_nominations

    profile = profile_in_force()
    streets = profile.street_names
    path = folder / "评委.csv"
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["编号", "姓名", "单位", "街道", "类别/角色", "手机"])
        for n in range(judges):
            street = streets[n % len(streets)] if n % 3 else ""
            writer.writerow([f"PW{n:03d}", f"评委{n:03d}", f"区属单位{n:03d}", street, "评委", ""])
    import_judges_file(path)
    per_category = -(-rows // 3 // 6)
    noms = generate_nominations(profile, year=YEAR, per_category=per_category, seed=YEAR)
    with session_scope() as session:
        session.add_all(Nomination(**n.model_dump()) for n in noms[: rows // 3])
    today = clock.today()
    open_round(year=YEAR, deadline=today + timedelta(days=30), today=today)
    tokens: dict[str, str] = {}
    with session_scope() as session:
        for m in session.exec(select(OutboxMessage).where(OutboxMessage.flow == "judging")):
            found = re.search(r"/r/([A-Za-z0-9_-]{43})", m.body)
            if found:
                tokens[m.audience.removeprefix("judge-")] = found.group(1)
    return tokens


def _assigned() -> dict[str, list[str]]:
    from sqlmodel import select

    from models.db import session_scope
    from models.judging import JudgeAssignment

    held: dict[str, list[str]] = {}
    with session_scope() as session:
        for a in session.exec(select(JudgeAssignment)):
            held.setdefault(a.judge, []).append(a.ref)
    return {code: sorted(refs) for code, refs in held.items()}


def _form_of(port: int, token: str) -> tuple[str, str]:
    """The cookie and CSRF token a phone gets with the page (what every form sends back)."""
    page = httpx.get(f"http://127.0.0.1:{port}/j/{token}", timeout=120)
    found = re.search(r'name="csrf" value="([^"]+)"', page.text)
    assert page.status_code == 200 and found, page.text[:500]
    return page.cookies["ld_csrf"], found.group(1)


def _scores(family: str, judge: int, item: int) -> dict[str, str]:
    if family == "ties":
        return dict.fromkeys(CRITERIA, "80")
    return {c: str(40 + (13 * judge + 7 * item + 5 * k) % 61) for k, c in enumerate(CRITERIA)}


def _stored() -> set[str]:
    from sqlmodel import select

    from models.awards import AwardScore
    from models.db import session_scope

    with session_scope() as session:
        return {f"{r.ref}|{r.judge}" for r in session.exec(select(AwardScore))}


def _report(family: str, floor: Run, run: Run, lost: int) -> bool:
    report([(f"{family}: floor", floor), (f"{family}: submissions", run)], floor)
    print(f"{family}: acknowledged {len(run.acknowledged)}, lost {lost}")
    met = (
        run.rate >= 0.5 * floor.rate
        and run.percentile(0.99) <= 2 * floor.percentile(0.99)
        and lost == 0
    )
    verdict = "met" if met else "NOT met"
    print(f"{family}: targets (≥ 50 % of the floor, p99 ≤ 2×, 0 lost) {verdict}")
    return met


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=150_000)
    parser.add_argument("--judges", type=int, default=60)
    parser.add_argument("--client", choices=("httpx", "lean", "both"), default="both")
    args = parser.parse_args()
    kinds = ("httpx", "lean") if args.client == "both" else (args.client,)

    for family in FAMILIES:
        data_dir = Path(tempfile.mkdtemp(prefix=f"bench-judging-{family}-"))
        os.environ["LD_DATA_DIR"] = str(data_dir)
        os.environ.pop("LD_DATABASE_URL", None)
        from deployments.cli.common import ensure_ready
        from models.settings import get_settings

        get_settings.cache_clear()
        ensure_ready()
        began = time.perf_counter()
        tokens = _setup(args.rows, args.judges, data_dir)
        held = _assigned()
        names = {code: f"评委{code[2:]}" for code in held}
        setup = time.perf_counter() - began
        env = {**os.environ, "PREFECT_LOGGING_LEVEL": "WARNING"}
        env["LD_INTAKE_RATE_PER_MINUTE"] = str(10**9)  # all the load comes from 127.0.0.1
        env.pop("PREFECT_API_URL", None)
        total = sum(len(refs) for refs in held.values())

        for kind in kinds:
            with server("floor", env) as port:
                floor = drive(
                    port,
                    [[(("GET", "/floor", None, {}), "")] * len(refs) for refs in held.values()],
                    client=kind,
                )
            with server("portal", env) as port:
                work: list[list[Keyed]] = []
                for j, (code, refs) in enumerate(sorted(held.items())):
                    cookie, csrf = _form_of(port, tokens[code])
                    headers = {
                        "Content-Type": "application/x-www-form-urlencoded",
                        "Cookie": f"ld_csrf={cookie}",
                    }
                    requests: list[Keyed] = []
                    for i, ref in enumerate(refs):
                        scores = _scores(family, j, i)
                        form = {"csrf": csrf, "ref": ref, "action": "submit", **scores}
                        body = urlencode(form).encode("utf-8")
                        path = f"/j/{tokens[code]}/score"
                        requests.append((("POST", path, body, headers), f"{ref}|{names[code]}"))
                    work.append(requests)
                # a submission is acknowledged by the redirect back to the page once stored
                submissions = drive(port, work, client=kind, acknowledged=lambda s: s == 303)
            stored = _stored()
            lost = sum(1 for key in submissions.acknowledged if key not in stored)
            print(
                f"{family}, client {kind}: {len(held)} judges, {total} assignments; setup "
                f"{setup:.0f} s (import, nominations, the balanced assignment, links); "
                f"data in {data_dir}"
            )
            _report(f"{family} ({kind})", floor, submissions, lost)  # at once: a later may fail


if __name__ == "__main__":
    main()
