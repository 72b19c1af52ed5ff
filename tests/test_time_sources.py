"""One clock: no product module reads the system clock or names a time zone but the clock's own.

`models/timeutil.py` reads the instant (UTC), `tasks/common/clock.py` turns it into the
district's date with the profile's time zone; `models/profile/schema.py` holds the profile's
default zone and checks a profile's zone exists. Everything else asks the clock.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("models", "tasks", "flows", "deployments")
READS_THE_SYSTEM_CLOCK = {"models/timeutil.py"}
MAKES_TIME_ZONES = {"tasks/common/clock.py", "models/profile/schema.py"}
NAMES_A_TIME_ZONE = {"models/profile/schema.py"}
SYSTEM_CLOCK = {"date.today", "datetime.today", "datetime.now", "datetime.utcnow"}
# an IANA zone name (Asia/Shanghai, America/Argentina/Salta, Etc/GMT+8)
ZONE_NAME = re.compile(
    r"\b(?:Africa|America|Antarctica|Arctic|Asia|Atlantic|Australia|Europe|Indian|Pacific|Etc)"
    r"/[A-Za-z][A-Za-z_+\-0-9]*(?:/[A-Za-z][A-Za-z_\-]*)?"
)


def _called_name(node: ast.Call) -> str:
    """`date.today`, `datetime.datetime.now`, `ZoneInfo`, … for a call node ('' if unnamed)."""
    parts: list[str] = []
    target: ast.expr = node.func
    while isinstance(target, ast.Attribute):
        parts.append(target.attr)
        target = target.value
    if isinstance(target, ast.Name):
        parts.append(target.id)
        return ".".join(reversed(parts))
    return ""


def problems_of(source: str, where: str) -> list[str]:
    """What in SOURCE (the text of module WHERE) bypasses the clock."""
    found: list[str] = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Call):
            name = _called_name(node)
            if ".".join(name.split(".")[-2:]) in SYSTEM_CLOCK:
                if where not in READS_THE_SYSTEM_CLOCK:
                    found.append(f"{where}:{node.lineno} calls {name}()")
            elif name.split(".")[-1] in {"ZoneInfo", "gettz", "timezone"} and node.args:
                if where not in MAKES_TIME_ZONES:
                    found.append(f"{where}:{node.lineno} makes a time zone with {name}()")
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            match = ZONE_NAME.search(node.value)
            if match and where not in NAMES_A_TIME_ZONE:
                found.append(f"{where}:{node.lineno} names the time zone {match.group()}")
    return sorted(found, key=lambda problem: int(problem.split(":")[1].split()[0]))


def test_only_the_clock_reads_the_time_and_names_time_zones() -> None:
    found = [
        problem
        for package in PACKAGES
        for path in sorted((ROOT / package).rglob("*.py"))
        if "migrations" not in path.parts
        for problem in problems_of(
            path.read_text(encoding="utf-8"), path.relative_to(ROOT).as_posix()
        )
    ]
    assert found == []


def test_the_check_finds_each_way_around_the_clock() -> None:
    planted = (
        "import datetime as dt\n"
        "from datetime import date, datetime\n"
        "from zoneinfo import ZoneInfo\n"
        "a = date.today()\n"
        "b = datetime.now()\n"
        "c = dt.datetime.now(ZoneInfo(name))\n"
        "d = 'Asia/Shanghai'\n"
        "e = 'Cron (district timezone) of the run'\n"  # words, not a zone name
        "f = clock.today()\n"
    )
    assert problems_of(planted, "tasks/x.py") == [
        "tasks/x.py:4 calls date.today()",
        "tasks/x.py:5 calls datetime.now()",
        "tasks/x.py:6 calls dt.datetime.now()",
        "tasks/x.py:6 makes a time zone with ZoneInfo()",
        "tasks/x.py:7 names the time zone Asia/Shanghai",
    ]
    # the clock's own modules may do what they are for, and nothing else
    assert problems_of(planted, "models/timeutil.py")[:1] == [
        "models/timeutil.py:6 makes a time zone with ZoneInfo()"
    ]
    assert problems_of(planted, "tasks/common/clock.py")[:2] == [
        "tasks/common/clock.py:4 calls date.today()",
        "tasks/common/clock.py:5 calls datetime.now()",
    ]
