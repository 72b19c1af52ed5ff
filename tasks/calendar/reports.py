"""The calendar's papers (R7.4, R7.2, R7.5, R7.1): the operator's artifacts and the year's notice.

The proposal an operator signs off, and the year's tables (calendar, holidays, dates to recheck,
distribution coverage) as Prefect artifacts. The notice as a Word document: publicity month,
activity week and day, the material's distribution, the year's meetings and the cadre trainings,
as planned and as since moved or cancelled; written under `<data dir>/reports/<year>/` and dated
the day the run makes it.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from models.db import session_scope
from tasks.calendar.seminars import SeminarPlan
from tasks.calendar.summary import calendar_result
from tasks.common.district import active_profile
from tasks.common.documents import (
    TableArtifact,
    WrittenFile,
    files_markdown,
    render_docx,
    year_dir,
    zh_date,
)
from tasks.common.workdays import day_zh

TRAINING = "cadre_training"


def _day(text: str, *, weekday: bool = True) -> str:
    return zh_date(date.fromisoformat(text), weekday=weekday)


def _short_day(text: str) -> str:
    """A date inside the year's table: 2月24日（星期二）."""
    return _day(text).split("年", 1)[1]


def _event(event: dict[str, Any], names: dict[str, str]) -> dict[str, str]:
    return {
        "title": event["title"],
        "day": _short_day(event["date"]),
        "time": f"{event['start'].lstrip('0')}—{event['end'].lstrip('0')}",
        "venue": event["venue"],
        "audiences": "、".join(names.get(a, a) for a in event["audiences"]),
    }


def write_calendar_notice(year: int, *, issued_on: date) -> list[WrittenFile]:
    """The notice of the planned year (nothing before the year is planned)."""
    result = calendar_result(year)
    if result is None:
        return []
    with session_scope() as session:
        profile = active_profile(session)
    names = profile.calendar.audience_names
    events = sorted(result["events"], key=lambda e: str(e["date"]))
    month_start, month_end = result["publicity_month"]
    week_start, week_end = result["activity_week"]
    office = profile.contacts.centre.model_copy(update={"name": profile.calendar.organizer})
    path = render_docx(
        "calendar_notice",
        {
            "year": year,
            "month_start": _day(month_start, weekday=False),
            "month_end": _day(month_end, weekday=False),
            "week_start": _day(week_start, weekday=False),
            "week_end": _day(week_end, weekday=False),
            "publicity_day": _day(result["publicity_day"], weekday=False),
            "request_on": _day(result["distribution"]["request_on"], weekday=False),
            "material": profile.calendar.distribution.material,
            "confirm_within": profile.calendar.distribution.confirm_within,
            "meetings": [_event(e, names) for e in events if e["kind"] != TRAINING],
            "trainings": [_event(e, names) for e in events if e["kind"] == TRAINING],
            "office": office.model_dump(),
            "issued_on": zh_date(issued_on),
        },
        year_dir(year) / f"calendar-notice-{year}.docx",
    )
    return [
        WrittenFile(label=f"{year}年社区教育宣传月活动和年度会议安排通知（Word）", path=str(path))
    ]


def calendar_table(result: dict[str, Any]) -> list[dict[str, object]]:
    """Rows of the year's calendar artifact: key days, then meetings in date order."""
    rows: list[dict[str, object]] = [
        {"日期": k["date"], "事项": k["title"], "会场": "", "参会对象": "街道、居委", "说明": ""}
        for k in result["key_days"]
    ]
    rows += [
        {
            "日期": e["date"],
            "事项": e["title"],
            "会场": e["venue"],
            "参会对象": "、".join(e["audiences"]),
            "说明": f"{e['start']}-{e['end']}，{e['invitees']}人，提醒 {'、'.join(e['reminders'])}"
            + ("（节假日为推算）" if e.get("estimated") else ""),
        }
        for e in result["events"]
    ]
    return sorted(rows, key=lambda r: str(r["日期"]))


def holidays_table(result: dict[str, Any]) -> list[dict[str, object]]:
    """Rows of the year's holiday artifact: weekdays off and make-up working days, each marked
    推算 when no notice or library data gives it."""
    return [
        {
            "日期": h["date"],
            "节日": h["name"],
            "类型": h["type"],
            "依据": "推算" if h["estimated"] else "通知",
        }
        for h in result["holidays"]
    ]


def proposal_markdown(result: dict[str, Any]) -> str:
    """The plan an operator signs off: the year's key days and meetings, and what signing does."""
    year = result["year"]
    month, week = result["publicity_month"], result["activity_week"]
    lines = [
        f"# {year}年社区教育年度安排（待审批）",
        "",
        f"- 社区教育宣传月：{month[0]} 至 {month[1]}；宣传活动周：{week[0]} 至 {week[1]}",
        f"- 社区教育宣传日：{result['publicity_day']}；宣传资料发放："
        f"{result['distribution']['request_on']} 起",
        "",
        "| 日期 | 时间 | 会议 | 会场 | 参会人数 | 通知发出 |",
        "|---|---|---|---|---|---|",
    ]
    for e in result["events"]:
        lines.append(
            f"| {e['date']} | {e['start']}-{e['end']} | {e['title']} | {e['venue']} | "
            f"{e['invitees']} | {e['invite_on']} |"
        )
    lines += [
        "",
        f"批准后保存年度安排；年度安排于 {result['plan_notice_on']} 起发各街道、居委，"
        "各会议通知在会前按期发出，不会在批准时一次发出。",
    ]
    lines += [f"注意：{note}" for note in result["notes"]]
    return "\n".join(lines)


def year_tables(result: dict[str, Any]) -> list[TableArtifact]:
    """The signed-off year's table artifacts: calendar, holidays, dates to recheck (only when
    the holidays changed), distribution coverage per street."""
    year = result["year"]
    notes = "；".join(result["notes"])
    tables = [
        TableArtifact(
            key=f"calendar-{year}",
            table=calendar_table(result),
            description=f"{year}年社区教育日历（R7.4、R7.5、R7.1）"
            + (f"。注意：{notes}" if notes else ""),
        ),
        TableArtifact(
            key=f"holidays-{year}",
            table=holidays_table(result) or [{"日期": "（无）"}],
            description=f"{year}年节假日和调休上班日（{result['notes'][0]}）",
        ),
    ]
    if result["recheck"]:
        tables.append(
            TableArtifact(
                key=f"calendar-recheck-{year}",
                table=[{"须复核的日期": line} for line in result["recheck"]],
                description=f"{year}年节假日安排有变化，以下计划日期须复核"
                "（复核后用日历复核命令确认）",
            )
        )
    tables.append(
        TableArtifact(
            key=f"distribution-coverage-{year}",
            table=result["distribution"]["coverage"] or [{"街道": "（无居委）"}],
            description=f"{year}年宣传资料发放确认情况（R7.2），按街道",
        )
    )
    return tables


def documents_markdown(year: int, files: list[WrittenFile]) -> str:
    """The artifact listing the year's calendar documents."""
    return files_markdown(f"{year}年社区教育日历文件", files)


def seminars_table(plan: SeminarPlan) -> list[dict[str, object]]:
    """Rows of the research seminars artifact (R10.5): day, topic, venue, why that day."""
    return [
        {"日期": day_zh(s.day), "研讨": s.title, "会场": s.venue, "安排依据": s.reason}
        for s in plan.seminars
    ]
