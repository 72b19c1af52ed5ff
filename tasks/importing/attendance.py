"""Import meeting sign-in lists (R7.1 cadre trainings above all): kind `attendance`.

One row per person who signed in: the meeting's date (and its name when several meetings share
the day), the person, the audience they belong to. A file is validated whole against the
planned year — a scheduled meeting on that date, an audience it invited, each person once per
meeting — and then replaces the sign-in list of every meeting it names, in one transaction.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping
from datetime import date
from pathlib import Path

from pydantic import BaseModel, ConfigDict
from sqlmodel import Session, col, delete, select

from models.attendance import Attendance
from models.db import session_scope
from models.meetings import Meeting
from models.profile.schema import DistrictProfile
from tasks.common.district import active_profile
from tasks.importing.cells import parse_text
from tasks.importing.columns import Column, Kind, parse_rows
from tasks.importing.fields import parse_date, quoted, row_numbers, unknown_zh
from tasks.importing.reading import read_rows

ATTENDANCE = Kind(
    name="attendance",
    title_zh="会议签到",
    columns=(
        Column("date", "会议日期", parse_date, "日期", required=True, example="2026-01-21"),
        Column(
            "meeting",
            "会议",
            parse_text,
            "会议名称",
            notes="同一天有几个会议时必填，填名称中的文字即可",
            example="社区教育干部培训（第一季度）",
        ),
        Column("attendee", "姓名", parse_text, "文本", required=True, example="王芳", max_chars=50),
        Column(
            "audience",
            "参会对象",
            parse_text,
            "会议邀请的参会对象",
            notes="如 街道和机关社区教育干部；可留空",
            example="社区教育辅导员",
        ),
        Column("unit", "单位", parse_text, "文本", example="嘉兴路街道", max_chars=100),
    ),
)


class SignIn(BaseModel):
    model_config = ConfigDict(frozen=True)

    meeting_id: int
    attendee: str
    audience: str
    unit: str


class AttendanceImport(BaseModel):
    """What an import entered: sign-ins per meeting (title -> count)."""

    model_config = ConfigDict(frozen=True)

    path: Path
    rows: int
    meetings: dict[str, int]
    replaced: int  # sign-ins of those meetings stored before


def _nfkc(text: str) -> str:
    return unicodedata.normalize("NFKC", text)


def _meeting_for(
    values: Mapping[str, object], meetings: list[Meeting]
) -> tuple[Meeting | None, tuple[str, str] | None]:
    day, name = values.get("date"), str(values.get("meeting") or "")
    if not isinstance(day, date):
        return None, None
    on_day = [m for m in meetings if m.day == day]
    if not on_day:
        return None, ("date", f"{day.year}年{day.month}月{day.day}日没有已安排的会议")
    if name:  # cells are NFKC-normalised on reading (（ becomes (): compare alike
        on_day = [m for m in on_day if name in _nfkc(m.title)]
        if not on_day:
            return None, ("meeting", f"当天没有名称含{quoted(name)}的会议")
    if len(on_day) > 1:
        titles = "、".join(m.title for m in on_day)
        return None, ("meeting", f"当天有{len(on_day)}个会议（{titles}），请填写会议名称")
    return on_day[0], None


def validate_attendance(
    path: Path, *, session: Session, profile: DistrictProfile, year: int | None
) -> list[SignIn]:
    """Every sign-in matched to its meeting; ImportRejected naming each problem."""
    table = read_rows(path)
    query = select(Meeting).where(Meeting.status == "scheduled")
    if year is not None:
        query = query.where(Meeting.year == year)
    meetings = list(session.exec(query).all())
    names = profile.calendar.audience_names
    keys = {_nfkc(name): key for key, name in names.items()} | {key: key for key in names}
    seen: dict[tuple[int, str], int] = {}
    found: dict[int, Meeting] = {}
    number = row_numbers(table, ATTENDANCE)

    def check(values: Mapping[str, object]) -> list[tuple[str, str]]:
        row = next(number)
        problems: list[tuple[str, str]] = []
        day = values.get("date")
        if year is not None and isinstance(day, date) and day.year != year:
            problems.append(("date", f"不在{year}年内"))
            return problems
        meeting, problem = _meeting_for(values, meetings)
        if problem is not None:
            problems.append(problem)
        if meeting is None or meeting.id is None:
            return problems
        found[row] = meeting
        audience = str(values.get("audience") or "")
        if audience:
            key = keys.get(audience)
            if key is None:
                problems.append(("audience", unknown_zh("参会对象", audience, set(names.values()))))
            elif key not in meeting.audiences:
                invited = "、".join(names.get(a, a) for a in meeting.audiences)
                problems.append(
                    ("audience", f"{meeting.title}未邀请{quoted(audience)}（邀请：{invited}）")
                )
        attendee = values.get("attendee")
        if isinstance(attendee, str):
            if (meeting.id, attendee) in seen:
                where = seen[meeting.id, attendee]
                problems.append(("attendee", f"{quoted(attendee)}已在第{where}行签到"))
            seen.setdefault((meeting.id, attendee), row)
        return problems

    rows = parse_rows(table, ATTENDANCE, check_row=check)
    sign_ins = []
    for row in rows:
        meeting = found[row.number]
        assert meeting.id is not None
        audience = str(row.values.get("audience") or "")
        sign_ins.append(
            SignIn(
                meeting_id=meeting.id,
                attendee=str(row.values["attendee"]),
                audience=keys.get(audience, ""),
                unit=str(row.values.get("unit") or ""),
            )
        )
    return sign_ins


def import_attendance_file(path: Path, *, year: int | None = None) -> AttendanceImport:
    """Validate the file whole, then replace the sign-in list of each meeting it names."""
    path = Path(path)
    with session_scope() as session:
        sign_ins = validate_attendance(
            path, session=session, profile=active_profile(session), year=year
        )
        ids = sorted({s.meeting_id for s in sign_ins})
        replaced = len(
            session.exec(select(Attendance.id).where(col(Attendance.meeting_id).in_(ids))).all()
        )
        session.exec(delete(Attendance).where(col(Attendance.meeting_id).in_(ids)))
        session.flush()
        session.add_all(Attendance(**s.model_dump(), source=path.name) for s in sign_ins)
        titles = {
            m.id: m.title for m in session.exec(select(Meeting).where(col(Meeting.id).in_(ids)))
        }
    counts: dict[str, int] = {}
    for s in sign_ins:
        counts[titles[s.meeting_id]] = counts.get(titles[s.meeting_id], 0) + 1
    return AttendanceImport(path=path, rows=len(sign_ins), meetings=counts, replaced=replaced)
