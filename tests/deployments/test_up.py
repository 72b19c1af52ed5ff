"""`learning-district up` starts a server, serves every deployment and the portal beside them,
and stops cleanly on Ctrl-C."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx

from deployments.runtime.server import free_port


def _children(pid: int) -> list[int]:
    found = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True)
    return [int(p) for p in found.stdout.split()]


def test_up_serves_every_deployment_and_stops_cleanly(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_", "LD_"))}
    env["LD_DATA_DIR"] = str(tmp_path / "data")
    exe = shutil.which("learning-district")
    command = [exe] if exe else [sys.executable, "-m", "deployments.cli.app"]
    log = (tmp_path / "up.log").open("w+")
    portal_port = free_port()
    process = subprocess.Popen(
        [*command, "up", "--portal-port", str(portal_port)],
        cwd=tmp_path,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        api = None
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and api is None:
            time.sleep(0.5)
            text = Path(log.name).read_text()
            for line in text.splitlines():
                if line.startswith("Prefect UI: "):
                    api = line.split()[2] + "/api"
            assert process.poll() is None, text
        assert api is not None, Path(log.name).read_text()
        portal = f"http://127.0.0.1:{portal_port}"
        assert f"Portal: {portal}" in Path(log.name).read_text()
        assert httpx.get(f"{portal}/health", timeout=10).json() == {"status": "ok"}

        names: set[str] = set()
        while time.monotonic() < deadline:
            response = httpx.post(f"{api}/deployments/filter", json={}, timeout=10)
            names = {d["name"] for d in response.json()}
            if {"yearly", "on-decline", "sweeper"} <= names:
                break
            time.sleep(1)
        assert {"yearly", "on-decline", "sweeper"} <= names
        children = _children(process.pid)
        assert children  # the Prefect server runs as a child process

        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=60) == 0
    finally:
        if process.poll() is None:
            process.kill()
    output = Path(log.name).read_text()
    assert "Traceback" not in output, output
    assert "stopped" in output and "health: API ok" in output
    time.sleep(1)
    alive = [pid for pid in children if Path(f"/proc/{pid}").exists()]
    assert alive == [], f"orphan processes left: {alive}"
