"""Holiday notices as a clerk enters them (日期, 类型, 名称), for the tests.

NOTICE_2026 is the State Council's notice on the 2026 holidays (published 4 November 2025),
checked day by day against chinese-calendar 1.11.0's 2026 data. NOTICE_2027 is an example
shaped like the recent notices, not an official one: 2027 is a year no library release knows.
"""

from __future__ import annotations

from pathlib import Path

Row = tuple[str, str, str]

NOTICE_2026: list[Row] = [
    ("2026-01-01至2026-01-03", "放假", "元旦"),
    ("2026-01-04", "上班", "元旦"),
    ("2026-02-15至2026-02-23", "放假", "春节"),
    ("2026-02-14", "上班", "春节"),
    ("2026-02-28", "上班", "春节"),
    ("2026-04-04至2026-04-06", "放假", "清明节"),
    ("2026-05-01至2026-05-05", "放假", "劳动节"),
    ("2026-05-09", "上班", "劳动节"),
    ("2026-06-19至2026-06-21", "放假", "端午节"),
    ("2026-09-25至2026-09-27", "放假", "中秋节"),
    ("2026-10-01至2026-10-07", "放假", "国庆节"),
    ("2026-09-20", "上班", "国庆节"),
    ("2026-10-10", "上班", "国庆节"),
]

NOTICE_2027: list[Row] = [
    ("2027-01-01至2027-01-03", "放假", "元旦"),
    ("2027-02-05至2027-02-13", "放假", "春节"),  # 除夕 (Fri) to 初八: one day more than estimated
    ("2027-02-20", "上班", "春节"),  # a Saturday
    ("2027-04-03至2027-04-05", "放假", "清明节"),
    ("2027-05-01至2027-05-05", "放假", "劳动节"),
    ("2027-04-25", "上班", "劳动节"),  # a Sunday
    ("2027-05-08", "上班", "劳动节"),  # a Saturday
    ("2027-06-09", "放假", "端午节"),
    ("2027-09-15", "放假", "中秋节"),
    ("2027-10-01至2027-10-07", "放假", "国庆节"),
    ("2027-09-26", "上班", "国庆节"),  # a Sunday
    ("2027-10-09", "上班", "国庆节"),  # a Saturday
]


def write_csv(path: Path, rows: list[Row], *, header: str = "日期,类型,名称") -> Path:
    """The rows as a CSV file with Chinese headers."""
    lines = [header, *(",".join(row) for row in rows)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def profile_section(year: int, rows: list[Row]) -> str:
    """The rows as the profile's `holidays:` section."""
    lines = ["holidays:", "  notices:", f"    {year}:"]
    lines += [f"      - {{日期: {d}, 类型: {k}, 名称: {n}}}" for d, k, n in rows]
    return "\n".join(lines) + "\n"
