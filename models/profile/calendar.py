"""The `calendar:` section of the district profile (R7.1, R7.2, R7.4, R7.5).

Windows and preferred dates are month-day strings ("02-24"): the same profile serves every year.
Everything has a default from the policy, so a profile without this section loads.
"""

from __future__ import annotations

import re
from datetime import date, time
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator

KEY_PATTERN = r"^[a-z0-9][a-z0-9_]*$"
_MONTH_DAY = re.compile(r"^(\d{2})-(\d{2})$")


def month_day_of(text: str, year: int) -> date:
    """The date of a month-day string in a year; 29 Feb in a common year is 28 Feb."""
    match = _MONTH_DAY.match(text)
    if match is None:
        raise ValueError(f"“{text}”不是月-日，应写作02-24")
    month, day = int(match.group(1)), int(match.group(2))
    if (month, day) == (2, 29) and not (year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)):
        return date(year, 2, 28)
    return date(year, month, day)


def _check_month_day(text: str) -> str:
    try:
        month_day_of(text, 2000)  # a leap year: 02-29 is a valid month-day
    except ValueError:
        raise ValueError(f"“{text}”不是有效的日期（月-日，如02-24）") from None
    return text


MonthDay = Annotated[str, AfterValidator(_check_month_day)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class AudienceProfile(_Strict):
    """A group of invitees: who they are, how many, and their notification tag `group-<key>`."""

    key: str = Field(pattern=KEY_PATTERN, description="e.g. street_staff")
    name: str = Field(min_length=1)
    size: int = Field(gt=0, description="Head count, checked against venue capacity")
    email: str = Field(
        default="",
        pattern=r"^([^@\s]+@[^@\s]+\.[^@\s]+)?$",
        description="The group's mailing list, if any: invitations name it as the attendee",
    )


class _Timed(_Strict):
    audiences: list[str] = Field(min_length=1)
    start_time: time = time(9, 0)
    end_time: time = time(11, 30)
    venues: list[str] = Field(
        default_factory=list,
        description="Allowed venues in order of preference; empty: any venue large enough",
    )

    @model_validator(mode="after")
    def _ends_after_start(self) -> _Timed:
        if self.end_time <= self.start_time:
            raise ValueError(
                f"结束时间（end_time）{self.end_time}应晚于开始时间（start_time）{self.start_time}"
            )
        return self


class MeetingProfile(_Timed):
    """One of the yearly meetings of R7.5, held once a year inside its window."""

    kind: str = Field(pattern=KEY_PATTERN)
    title: str = Field(min_length=1)
    window: tuple[MonthDay, MonthDay]
    preferred: MonthDay | None = Field(default=None, description="Default: the window's start")
    rule: str = "R7.5"

    @model_validator(mode="after")
    def _window_in_order(self) -> MeetingProfile:
        first, last = (month_day_of(d, 2000) for d in self.window)
        if last < first:
            raise ValueError(f"时间窗口（window）{self.window[0]}至{self.window[1]}的结束早于开始")
        if self.preferred is not None and not first <= month_day_of(self.preferred, 2000) <= last:
            raise ValueError(f"首选日期（preferred）{self.preferred}不在时间窗口（window）内")
        return self


class TrainingProfile(_Timed):
    """The series of cadre trainings of R7.1: one per period, in that period."""

    title: str = "社区教育干部培训"
    frequency: Literal["monthly", "quarterly", "half_yearly", "yearly"] = "quarterly"
    offset_days: int = Field(
        default=20, ge=0, le=180, description="Preferred date: this many days into the period"
    )
    audiences: list[str] = Field(
        default_factory=lambda: ["street_staff", "assistants", "counsellors"], min_length=1
    )
    start_time: time = time(9, 0)
    end_time: time = time(16, 30)


class SeminarProfile(_Timed):
    """R10.5: the theory-research group's seminars, one per period, placed around the year's
    other meetings by the same scheduler."""

    title: str = "社区教育专题理论研讨会"
    frequency: Literal["monthly", "quarterly", "half_yearly", "yearly"] = "quarterly"
    offset_days: int = Field(
        default=45, ge=0, le=180, description="Preferred date: this many days into the period"
    )
    audiences: list[str] = Field(default_factory=lambda: ["researchers"], min_length=1)
    start_time: time = time(14, 0)
    end_time: time = time(16, 30)
    schedule: str = Field(
        default="0 9 12 1 *", description="Cron of the yearly placement of the series"
    )


class DistributionPolicy(_Strict):
    """R7.2: publicity material to every household, confirmed by every community office."""

    material: str = "社区教育宣传资料"
    start: MonthDay = Field(default="09-01", description="Campaign start (first working day on)")
    confirm_within: int = Field(
        default=5, ge=1, le=60, description="Working days before an unconfirmed office is reminded"
    )
    max_reminders: int = Field(default=2, ge=0, le=10)


def _default_audiences() -> list[AudienceProfile]:
    return [
        AudienceProfile(key="district_leaders", name="区社区教育领导小组成员", size=20),
        AudienceProfile(key="street_staff", name="街道和机关社区教育干部", size=40),
        AudienceProfile(key="assistants", name="社区教育助理（挂职教师）", size=15),
        AudienceProfile(key="counsellors", name="社区教育辅导员", size=60),
        AudienceProfile(key="community_staff", name="居委社区教育干部", size=29),
        AudienceProfile(key="researchers", name="理论研究组成员", size=12),
    ]


def _default_meetings() -> list[MeetingProfile]:
    return [
        MeetingProfile(
            kind="work_conference",
            title="社区教育工作会议",
            window=("01-01", "03-31"),
            preferred="02-24",
            audiences=["district_leaders", "street_staff", "assistants", "community_staff"],
        ),
        MeetingProfile(
            kind="theory_symposium",
            title="社区教育理论研讨会",
            window=("04-01", "06-30"),
            preferred="05-20",
            audiences=["district_leaders", "researchers", "assistants"],
            start_time=time(9, 0),
            end_time=time(16, 0),
        ),
        MeetingProfile(
            kind="experience_exchange",
            title="社区教育经验交流会",
            window=("10-08", "12-20"),
            preferred="11-18",
            audiences=["street_staff", "community_staff", "assistants", "counsellors"],
            start_time=time(14, 0),
            end_time=time(16, 30),
        ),
    ]


class CalendarPolicy(_Strict):
    """Parameters of the annual calendar: meetings, trainings, reminders, distribution."""

    schedule: str = Field(
        default="0 9 5 1 *", description="Cron (district timezone) of the yearly planning run"
    )
    daily_schedule: str = Field(
        default="0 8 * * *", description="Cron of the daily run: key days, reminders, follow-ups"
    )
    organizer: str = "区社区教育指导中心"
    organizer_email: str = Field(
        default="",
        pattern=r"^([^@\s]+@[^@\s]+\.[^@\s]+)?$",
        description="Where calendar replies go: the organizer's address in invitations",
    )
    avoid_activity_week: bool = Field(
        default=True, description="Keep meetings out of the activity week (R7.4)"
    )
    one_event_per_day: bool = True
    reminder_offsets: list[int] = Field(
        default_factory=lambda: [7, 1], description="Reminders this many working days before"
    )
    invitation_lead_days: int = Field(
        default=10, ge=1, le=120, description="Invitations go out this many working days before"
    )
    reply_before_days: int = Field(
        default=3, ge=0, le=60, description="Invitees answer by this many working days before"
    )
    plan_notice_lead_days: int = Field(
        default=10,
        ge=0,
        le=120,
        description="The year's plan goes to the offices this many working days before 1 January "
        "(or on the day it is signed off, when that is later)",
    )
    audiences: list[AudienceProfile] = Field(default_factory=_default_audiences)
    meetings: list[MeetingProfile] = Field(default_factory=_default_meetings)
    trainings: TrainingProfile | None = Field(default_factory=TrainingProfile)
    seminars: SeminarProfile | None = Field(
        default=None, description="R10.5 research seminars; none unless the profile sets them"
    )
    distribution: DistributionPolicy = Field(default_factory=DistributionPolicy)

    @model_validator(mode="after")
    def _offsets_positive(self) -> CalendarPolicy:
        bad = [n for n in self.reminder_offsets if n < 1]
        if bad:
            raise ValueError(f"提醒提前天数（reminder_offsets）应为不少于1的工作日数，填的是{bad}")
        if self.reminder_offsets and max(self.reminder_offsets) >= self.invitation_lead_days:
            raise ValueError(
                f"邀请提前天数（invitation_lead_days）{self.invitation_lead_days}应大于每个提醒"
                f"提前天数{sorted(self.reminder_offsets)}：先发邀请，后发提醒"
            )
        if self.reply_before_days >= self.invitation_lead_days:
            raise ValueError(
                f"回复截止提前天数（reply_before_days）{self.reply_before_days}应少于"
                f"邀请提前天数（invitation_lead_days）{self.invitation_lead_days}"
            )
        return self

    @property
    def audience_sizes(self) -> dict[str, int]:
        return {a.key: a.size for a in self.audiences}

    @property
    def audience_names(self) -> dict[str, str]:
        return {a.key: a.name for a in self.audiences}


def calendar_problems(
    policy: CalendarPolicy, venue_names: list[str]
) -> list[tuple[tuple[object, ...], str]]:
    """Cross-references of the section: audiences and venues it names must exist."""
    problems: list[tuple[tuple[object, ...], str]] = []
    keys = [a.key for a in policy.audiences]
    seen: set[str] = set()
    for i, key in enumerate(keys):
        if key in seen:
            problems.append((("calendar", "audiences", i, "key"), f"参会对象“{key}”重复"))
        seen.add(key)
    kinds: set[str] = set()
    timed: list[tuple[tuple[object, ...], _Timed]] = [
        (("calendar", "meetings", i), m) for i, m in enumerate(policy.meetings)
    ]
    if policy.trainings is not None:
        timed.append((("calendar", "trainings"), policy.trainings))
    if policy.seminars is not None:
        timed.append((("calendar", "seminars"), policy.seminars))
    for i, meeting in enumerate(policy.meetings):
        if meeting.kind in kinds or meeting.kind == "cadre_training":
            problems.append((("calendar", "meetings", i, "kind"), f"会议类型“{meeting.kind}”重复"))
        kinds.add(meeting.kind)
    for place, item in timed:
        for j, audience in enumerate(item.audiences):
            if audience not in seen:
                problems.append(
                    (
                        (*place, "audiences", j),
                        f"参会对象“{audience}”不在参会对象名单（calendar.audiences）中",
                    )
                )
        for j, venue in enumerate(item.venues):
            if venue not in venue_names:
                problems.append(((*place, "venues", j), f"场地“{venue}”不在场地名单（venues）中"))
    return problems
