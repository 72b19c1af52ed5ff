"""`learning-district demo` as a newcomer runs it: its own server, no tracebacks."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path


def test_demo_runs_clean(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_", "LD_"))}
    env["LD_DATA_DIR"] = str(tmp_path / "data")
    env["PREFECT_HOME"] = str(tmp_path / "prefect-home")
    exe = shutil.which("learning-district") or ""
    command = [exe] if exe else [sys.executable, "-m", "deployments.cli.app"]

    done = subprocess.run(
        [*command, "demo", "--teachers", "200"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )

    output = done.stdout + done.stderr
    assert done.returncode == 0, output
    assert "Traceback" not in output and "Error" not in output, output
    assert "replaced by" in output
    assert "0 messages sent" in output  # the re-run sent nothing twice
    outbox = tmp_path / "data" / "demo" / "outbox.jsonl"
    assert len(outbox.read_text(encoding="utf-8").splitlines()) > 15
