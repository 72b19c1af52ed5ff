"""The whole pilot year (`learning-district demo`) shows no phone or ID number to anyone else.

The demo runs every process of the year — secondment, calendar, golden ideas, learning awards,
KPI report — against a real Prefect server started here. Then everything anyone could read is
scanned (tests/security/scan.py): Prefect's logs, artifacts, flow and task runs and events,
the demo's console output and the server's log, every report and calendar file (Markdown, XLSX
cells, .ics), every outbox message and the local outbox file, stored delivery errors and
decision reasons. A phone or ID number may appear unmasked only in a message addressed to its
owner (scan.owners: a teacher's phone to `teacher-<staff_id>`, a submitter's to
`idea-submitter-<ref>`).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest
from prefect.client.orchestration import get_client
from prefect.settings import PREFECT_API_URL, temporary_settings

from deployments.runtime.server import start_server, stop_process, wait_healthy
from models.settings import get_settings
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


def run_demo(tmp_path: Path, api_url: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_", "LD_"))}
    env.update(
        LD_DATA_DIR=str(tmp_path / "data"),
        PREFECT_API_URL=api_url,
        # the demo keeps Prefect's console at WARNING; INFO sends every run log line to the API
        PREFECT_LOGGING_LEVEL="INFO",
    )
    exe = shutil.which("learning-district")
    command = [exe] if exe else [sys.executable, "-m", "deployments.cli.app"]
    return subprocess.run(
        [*command, "demo"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )


def test_whole_year_shows_no_phone_or_id_number_to_anyone_else(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, hardening: Ledger
) -> None:
    process, api_url, server_log = start_server(home=tmp_path / "prefect")
    try:
        wait_healthy(api_url, timeout=180, process=process, log_file=server_log)
        demo = run_demo(tmp_path, api_url)
        assert demo.returncode == 0, demo.stdout[-3000:] + demo.stderr[-3000:]

        demo_dir = tmp_path / "data" / "demo"
        monkeypatch.setenv("LD_DATA_DIR", str(demo_dir))
        monkeypatch.delenv("LD_DATABASE_URL", raising=False)
        get_settings.cache_clear()
        with temporary_settings(updates={PREFECT_API_URL: api_url}):
            with get_client(sync_client=True) as client:
                prefect_items = everything_in_prefect(client)
        groups: dict[str, list[Item]] = {
            "Prefect logs, artifacts, runs, events": prefect_items,
            "console and server log": [
                Item("demo stdout", demo.stdout),
                Item("demo stderr", demo.stderr),
                Item("Prefect server log", server_log.read_text(errors="replace")),
            ],
            # the roster is the demo's input, as the school office sends it: not shown to anyone
            "report, calendar and other files": list(
                report_files(demo_dir, skip=[demo_dir / "teachers.csv", demo_dir / "outbox.jsonl"])
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
