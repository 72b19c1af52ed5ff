"""The whole pilot year, `learning-district demo` as a newcomer runs it, once per test run.

Running the demo takes minutes; the tests that read what it leaves behind (its output, the
outbox, the reports printed to PDF, everything scanned for personal data) share one run
through the session fixture `demo_year` (tests/conftest.py), also when pytest-xdist runs them
on different workers (`shared_demo_year`: the first runs it, the others wait and read it).
They only read it: a test that would change it works on a copy (`copy_prefect_home`).
"""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

YEAR = 2026


@dataclass(frozen=True)
class DemoYear:
    home: Path  # the working directory the demo ran in (its data dir is home/data)
    returncode: int
    stdout: str
    stderr: str

    @property
    def demo_dir(self) -> Path:
        """The data dir the demo wrote: its database, outbox, reports and Prefect home."""
        return self.home / "data" / "demo"

    @property
    def reports(self) -> Path:
        return self.demo_dir / "reports" / str(YEAR)

    @property
    def prefect_home(self) -> Path:
        """The home of the Prefect server the demo started (its database and server.log)."""
        return self.demo_dir / "prefect"

    @property
    def output(self) -> str:
        return self.stdout + self.stderr

    def check(self) -> None:
        """Fail the calling test with the end of the demo's output when the demo failed."""
        assert self.returncode == 0, self.stdout[-3000:] + self.stderr[-3000:]

    def copy_prefect_home(self, to: Path) -> Path:
        """A copy of the stopped server's home, to start a server on without touching the run."""
        shutil.copytree(self.prefect_home, to)
        return to


def run_demo_year(home: Path) -> DemoYear:
    """Run `learning-district demo` in `home`: its own Prefect server, no LD_ or PREFECT_
    settings of ours. Run logs at INFO reach the server, so the privacy scan reads them all."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_", "LD_"))}
    env.update(
        LD_DATA_DIR=str(home / "data"),
        PREFECT_HOME=str(home / "prefect-home"),
        # the demo keeps Prefect's console at WARNING; INFO sends every run log line to the API
        PREFECT_LOGGING_LEVEL="INFO",
    )
    exe = shutil.which("learning-district")
    command = [exe] if exe else [sys.executable, "-m", "deployments.cli.app"]
    done = subprocess.run(
        [*command, "demo"],
        cwd=home,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )
    return DemoYear(home=home, returncode=done.returncode, stdout=done.stdout, stderr=done.stderr)


def shared_demo_year(root: Path) -> DemoYear:
    """The demo run under `root`, run by the first process that asks (a lock file orders the
    pytest-xdist workers sharing `root`); the others read what it recorded."""
    root.mkdir(parents=True, exist_ok=True)
    record = root / "demo-year.json"
    with (root / "demo-year.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file closes
        if record.exists():
            data = json.loads(record.read_text(encoding="utf-8"))
            return DemoYear(home=Path(data.pop("home")), **data)
        home = root / "demo-year"
        home.mkdir()
        demo = run_demo_year(home)
        done = {"home": str(home), "returncode": demo.returncode}
        record.write_text(
            json.dumps({**done, "stdout": demo.stdout, "stderr": demo.stderr}), encoding="utf-8"
        )
        return demo
