"""Bad-input cases of the network, playground, pledge and sign-in kinds (see corpus.py).

Each is refused whole with the row and column named (or, for a fine file, stored as written).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from sqlmodel import select

from models.db import session_scope
from tests.badinput.corpus import YEAR, ImportCase, write_csv

BASE_HEADERS = ("基地", "类型", "街道", "场地", "容纳人数")
TEAM_HEADERS = ("年度", "编号", "姓名", "队伍", "层级", "街道", "社区", "专职")
SCHOOL_HEADERS = ("街道", "名称", "承办学校", "开办日期", "达标日期")
PLAYGROUND_HEADERS = ("学校", "季节", "早间开放", "晚间开放", "开放设施")
PLEDGE_HEADERS: tuple[str, ...] = ("年度", "编号", "单位代码", "单位名称", "单位类别", "街道")
PLEDGE_HEADERS += ("形式", "内容", "出资金额", "服务时长", "出借场地", "场地容纳人数", "承诺日期")
SIGN_IN_HEADERS = ("会议日期", "会议", "姓名", "参会对象", "单位")


def _row(headers: tuple[str, ...], base: Mapping[str, object], **overrides: object) -> list[object]:
    values = {**base, **overrides}
    return [values.get(h, "") for h in headers]


def base(**overrides: object) -> list[object]:
    return _row(
        BASE_HEADERS,
        {"基地": "区老年大学", "类型": "社区老年人教育基地", "街道": "海伦路街道"}
        | {"场地": "多功能教室", "容纳人数": "80"},
        **overrides,
    )


def member(person_id: str, **overrides: object) -> list[object]:
    return _row(
        TEAM_HEADERS,
        {"年度": str(YEAR), "编号": person_id, "姓名": "王芳", "队伍": "管理者"}
        | {"层级": "街道", "街道": "嘉兴路街道", "专职": "是"},
        **overrides,
    )


def school(**overrides: object) -> list[object]:
    return _row(
        SCHOOL_HEADERS,
        {"街道": "嘉兴路街道", "名称": "嘉兴路街道社区学校", "承办学校": "人民路第一小学"}
        | {"开办日期": "2026-09-01"},
        **overrides,
    )


def hours(season: str, **overrides: object) -> list[object]:
    return _row(
        PLAYGROUND_HEADERS,
        {"学校": "人民路第一小学", "季节": season, "早间开放": "06:00-07:30"}
        | {"晚间开放": "18:00-20:30", "开放设施": "操场"},
        **overrides,
    )


def pledge(ref: str, **overrides: object) -> list[object]:
    return _row(
        PLEDGE_HEADERS,
        {"年度": str(YEAR), "编号": ref, "单位代码": "U001", "单位名称": "示例科技有限公司"}
        | {"单位类别": "企业", "街道": "嘉兴路街道", "形式": "出钱", "出资金额": "5000"}
        | {"承诺日期": "2026-03-15"},
        **overrides,
    )


def stored(model: type[Any], **where: object) -> Callable[[], bool]:
    def check() -> bool:
        with session_scope() as session:
            query: Any = select(model)
            for key, value in where.items():
                query = query.where(getattr(model, key) == value)
            return session.exec(query).first() is not None

    return check


def network_cases() -> list[ImportCase]:
    from models.network import BaseVenue, CommunitySchool, TeamMember

    B, T, S = BASE_HEADERS, TEAM_HEADERS, SCHOOL_HEADERS
    return [
        ImportCase(
            "bases.csv: a base type that is not one of the four",
            "bases",
            write_csv("kind.csv", B, [base(类型="少年宫")]),
            ("第2行「类型」列：“少年宫”不是基地类型",),
        ),
        ImportCase(
            "bases.csv: no seats",
            "bases",
            write_csv("seats.csv", B, [base(容纳人数="0")]),
            ("第2行「容纳人数」列：0人不在1至100,000之间",),
        ),
        ImportCase(
            "bases.csv: one base on two streets",
            "bases",
            write_csv("streets.csv", B, [base(), base(场地="书画室", 街道="嘉兴路街道")]),
            ("第3行「街道」列：“区老年大学”在第2行的街道不同",),
        ),
        ImportCase(
            "bases.csv: full-width capacity (normalised)",
            "bases",
            write_csv("fullwidth.csv", B, [base(场地="舞蹈房", 容纳人数="８０")]),
            None,
            stored(BaseVenue, venue="舞蹈房", capacity=80),
        ),
        ImportCase(
            "team.csv: the research group at street level",
            "team",
            write_csv("level.csv", T, [member("R-1", 队伍="理论研究组")]),
            ("第2行「层级」列：理论研究组为区级队伍，层级应为区",),
        ),
        ImportCase(
            "team.csv: a community-level person without a community",
            "team",
            write_csv("community.csv", T, [member("C-1", 层级="社区")]),
            ("第2行「社区」列：社区级人员须填写所在社区",),
        ),
        ImportCase(
            "team.csv: RTL override in a name",
            "team",
            write_csv("rtl.csv", T, [member("M-1", 姓名="王\u202e芳")]),
            ("第2行「姓名」列：第2个字符是看不见的控制字符（U+202E",),
        ),
        ImportCase(
            "team.csv: English team and level words",
            "team",
            write_csv("english.csv", T, [member("M-2", 队伍="manager", 层级="district", 街道="")]),
            None,
            stored(TeamMember, person_id="M-2", team="manager", level="district"),
        ),
        ImportCase(
            "community_schools.csv: hosted by a middle school",
            "community_schools",
            write_csv("middle.csv", S, [school(承办学校="嘉兴中学")]),
            ("第2行「承办学校」列：“嘉兴中学”不是小学",),
        ),
        ImportCase(
            "community_schools.csv: the standard before the opening",
            "community_schools",
            write_csv("dates.csv", S, [school(达标日期="2025-01-01")]),
            ("第2行「达标日期」列：达标日期早于开办日期",),
        ),
        ImportCase(
            "community_schools.csv: a date in Chinese (accepted)",
            "community_schools",
            write_csv(
                "zh.csv",
                S,
                [
                    school(
                        街道="江湾镇街道",
                        名称="江湾镇街道社区学校",
                        承办学校="江湾镇小学",
                        开办日期="2028年9月1日",
                    )
                ],
            ),
            None,
            stored(CommunitySchool, street="江湾镇街道"),
        ),
    ]


def playground_cases() -> list[ImportCase]:
    from models.playgrounds import PlaygroundHours

    P = PLAYGROUND_HEADERS
    return [
        ImportCase(
            "playgrounds.csv: a middle school",
            "playgrounds",
            write_csv(
                "middle.csv", P, [hours("夏季", 学校="嘉兴中学"), hours("冬季", 学校="嘉兴中学")]
            ),
            ("第2行「学校」列：“嘉兴中学”不是小学",),
        ),
        ImportCase(
            "playgrounds.csv: an evening that starts at noon",
            "playgrounds",
            write_csv("noon.csv", P, [hours("夏季", 晚间开放="12:00-13:00"), hours("冬季")]),
            ("第2行「晚间开放」列：晚间应在16:00至22:00之间",),
        ),
        ImportCase(
            "playgrounds.csv: a span that ends before it starts",
            "playgrounds",
            write_csv("backwards.csv", P, [hours("夏季", 早间开放="07:30-06:00"), hours("冬季")]),
            ("第2行「早间开放」列：“07:30-06:00”的结束时间不晚于开始时间",),
        ),
        ImportCase(
            "playgrounds.csv: a school without its winter hours",
            "playgrounds",
            write_csv("winter.csv", P, [hours("夏季")]),
            ("第2行「季节」列：“人民路第一小学”缺少冬季的开放时间",),
        ),
        ImportCase(
            "playgrounds.csv: a season the profile does not have",
            "playgrounds",
            write_csv("season.csv", P, [hours("夏季"), hours("冬季"), hours("雨季")]),
            ("第4行「季节」列：“雨季”不是区情配置中的季节",),
        ),
        ImportCase(
            "playgrounds.csv: full-width colons (normalised)",
            "playgrounds",
            write_csv(
                "colons.csv", P, [hours("夏季", 早间开放="０６：００－０７：３０"), hours("冬季")]
            ),
            None,
            stored(PlaygroundHours, school="人民路第一小学", season="夏季"),
        ),
    ]


def pledge_cases() -> list[ImportCase]:
    from models.units import Pledge

    P = PLEDGE_HEADERS
    return [
        ImportCase(
            "pledges.csv: money without an amount",
            "pledges",
            write_csv("money.csv", P, [pledge("P-1", **{"出资金额": ""})]),
            ("第2行「出资金额」列：出钱须填写金额",),
        ),
        ImportCase(
            "pledges.csv: a venue lent without its seats",
            "pledges",
            write_csv(
                "venue.csv", P, [pledge("P-2", 形式="出力", 出借场地="会议室", **{"出资金额": ""})]
            ),
            ("第2行「场地容纳人数」列：填写了出借场地，须填写容纳人数",),
        ),
        ImportCase(
            "pledges.csv: a unit code with a space",
            "pledges",
            write_csv("code.csv", P, [pledge("P-3", 单位代码="U 01")]),
            ("第2行「单位代码」列：“U 01”只能由字母、数字、-和_组成",),
        ),
        ImportCase(
            "pledges.csv: one code, two names",
            "pledges",
            write_csv("names.csv", P, [pledge("P-4"), pledge("P-5", 单位名称="另一家公司")]),
            ("第3行「单位名称」列：单位代码U001在第2行是“示例科技有限公司”",),
        ),
        ImportCase(
            "pledges.csv: 1e999999 yuan",
            "pledges",
            write_csv("huge.csv", P, [pledge("P-6", **{"出资金额": "1e999999"})]),
            ("第2行「出资金额」列：“1e999999”过大",),
        ),
        ImportCase(
            "pledges.csv: an idea with its content (accepted)",
            "pledges",
            write_csv(
                "idea.csv", P, [pledge("P-7", 形式="出谋", 内容="开设理财讲座", **{"出资金额": ""})]
            ),
            None,
            stored(Pledge, ref="P-7", kind="idea"),
        ),
    ]


def sign_in_cases() -> list[ImportCase]:
    S = SIGN_IN_HEADERS
    return [
        ImportCase(
            "attendance.csv: a day without a meeting",
            "attendance",
            write_csv("day.csv", S, [("2026-03-03", "", "王芳", "", "")]),
            ("第2行「会议日期」列：2026年3月3日没有已安排的会议",),
        ),
        ImportCase(
            "attendance.csv: no such date",
            "attendance",
            write_csv("date.csv", S, [("2026-13-01", "", "王芳", "", "")]),
            ("第2行「会议日期」列：“2026-13-01”不是日期",),
        ),
        ImportCase(
            "attendance.csv: a date of another year",
            "attendance",
            write_csv("year.csv", S, [("2025-03-03", "", "王芳", "", "")]),
            ("第2行「会议日期」列：不在2026年内",),
        ),
    ]


def policy_cases() -> list[ImportCase]:
    return network_cases() + playground_cases() + pledge_cases() + sign_in_cases()
