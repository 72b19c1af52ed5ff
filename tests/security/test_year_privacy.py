"""The whole pilot year (`learning-district demo`) shows no phone or ID number to anyone else.

The demo runs every process of the year — secondment, calendar, golden ideas, learning awards,
KPI report — against the real Prefect server it starts (the session's run, tests/demo_year.py);
a server started here on a copy of that server's home answers afterwards. Everything anyone
could read is scanned (tests/security/scan.py): Prefect's logs, artifacts, flow and task runs
and events, the demo's console output and the server's log, every report and calendar file
(Markdown, XLSX cells, .ics), every outbox message and the local outbox file, stored delivery
errors and decision reasons. A phone or ID number may appear unmasked only in a message
addressed to its owner (scan.owners: a teacher's phone to `teacher-<staff_id>`, a submitter's
to `idea-submitter-<ref>`).
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest
from prefect.client.orchestration import get_client
from prefect.settings import PREFECT_API_URL, temporary_settings

from deployments.runtime.server import start_server, stop_process, wait_healthy
from models.settings import get_settings
from tests.demo_year import DemoYear
from tests.hardening import Ledger
from tests.security.scan import (
    Item,
    everything_in_prefect,
    outbox_file_items,
    outbox_items,
    owners,
    report_files,
    scan,
)


def test_whole_year_shows_no_phone_or_id_number_to_anyone_else(
    demo_year: DemoYear, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, hardening: Ledger
) -> None:
    demo_year.check()
    demo_dir = demo_year.demo_dir
    # the demo stopped its server: start one on a copy of its home to read what it recorded
    home = demo_year.copy_prefect_home(tmp_path / "prefect")
    process, api_url, server_log = start_server(home=home)
    try:
        wait_healthy(api_url, timeout=180, process=process, log_file=server_log)
        monkeypatch.setenv("LD_DATA_DIR", str(demo_dir))
        monkeypatch.delenv("LD_DATABASE_URL", raising=False)
        get_settings.cache_clear()
        with temporary_settings(updates={PREFECT_API_URL: api_url}):
            with get_client(sync_client=True) as client:
                prefect_items = everything_in_prefect(client)
        groups: dict[str, list[Item]] = {
            "Prefect logs, artifacts, runs, events": prefect_items,
            "console and server log": [
                Item("demo stdout", demo_year.stdout),
                Item("demo stderr", demo_year.stderr),
                Item("Prefect server log", server_log.read_text(errors="replace")),
            ],
            # the roster is the demo's input, as the school office sends it: not shown to anyone;
            # the server's home is read above (its log) and through the API
            "report, calendar and other files": list(
                report_files(
                    demo_dir,
                    skip=[
                        demo_dir / "teachers.csv",
                        demo_dir / "outbox.jsonl",
                        *demo_year.prefect_home.rglob("*"),
                    ],
                )
            ),
            "messages, stored errors, decisions": [
                *outbox_items(),
                *outbox_file_items(demo_dir / "outbox.jsonl"),
            ],
        }
        owned = owners()
    finally:
        stop_process(process)
        get_settings.cache_clear()

    found_total = 0
    for name, items in groups.items():
        count, leaks = scan(items, owned=owned)
        hardening.leaks(f"whole year (demo): {name}", scanned=count, found=len(leaks))
        found_total += len(leaks)
        assert leaks == [], f"{name}: {leaks[:20]}"

    # The scan saw the year: personal data exists, and every kind of output was read.
    assert len(owned) >= 2000  # 300 teachers' and 2,000 submitters' phones
    sources = Counter(item.source.split()[0] for items in groups.values() for item in items)
    assert sources["prefect"] > 50 and sources["artifact"] > 5 and sources["event"] > 100
    assert sources["flow"] >= 5 and sources["task"] > 20 and sources["decision"] > 1000
    assert sources["message"] > 2000 and sources["outbox.jsonl"] > 2000
    files = {item.source.rsplit(".", 1)[-1] for item in groups["report, calendar and other files"]}
    assert {"md", "xlsx", "ics"} <= files
    masked = any("****" in item.text for items in groups.values() for item in items)
    assert masked  # phones are shown masked somewhere (the secondment proposal table)
    assert found_total == 0
