"""Generated files of the rest of the policy, as a clerk would receive them (Chinese headers).

Bases and their venues (R5), the teams (R6), the three pilot community schools (R8.3), the
primary schools' playground hours (R8.2), community units' pledges (R7.6) and the sign-in
lists of the year's cadre trainings (R7.1). Reproducible from the seed; each file goes through
its real importer.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from datetime import date
from pathlib import Path

from models.profile.playgrounds import is_primary
from models.profile.schema import DistrictProfile
from tasks.samples.csvfile import write_csv
from tasks.samples.roster import chinese_name

BASE_VENUES = {
    "party_school": ("社区党员教育基地", [("报告厅", 200), ("党员活动室", 60), ("电化教室", 40)]),
    "community_management_school": ("社区成人教育基地", [("多功能厅", 150), ("计算机教室", 45)]),
    "elderly_university": (
        "社区老年人教育基地",
        [("会议室", 60), ("书画教室", 35), ("舞蹈房", 40), ("合唱教室", 50)],
    ),
    "children_centre": ("社区少儿教育基地", [("剧场", 300), ("科技活动室", 40)]),
}
UNITS = (
    ("U001", "示例科技有限公司", "企业"),
    ("U002", "区图书馆", "事业单位"),
    ("U003", "区工商银行支行", "企业"),
    ("U004", "区青年志愿者协会", "社会组织"),
    ("U005", "区卫生健康委员会", "机关"),
)


def write_bases_csv(path: Path, profile: DistrictProfile) -> Path:
    """The profile's four bases with realistic venues (one row per venue)."""
    rows = [
        (base.name, BASE_VENUES[base.kind][0], base.street or profile.street_names[0], room, seats)
        for base in profile.bases
        for room, seats in BASE_VENUES[base.kind][1]
    ]
    return write_csv(path, ("基地", "类型", "街道", "场地", "容纳人数"), rows)


def write_team_csv(path: Path, profile: DistrictProfile, *, year: int, seed: int) -> Path:
    """A dedicated manager per street, a part-time one per community, counsellors in every
    street, and a research group of department staff and experts."""
    rng = random.Random(seed)
    rows: list[tuple[object, ...]] = []
    header = ("年度", "编号", "姓名", "队伍", "层级", "街道", "社区", "单位", "专职", "背景")
    rows.append((year, "M0000", chinese_name(rng), "管理者", "区", "", "", "区教育局", "是", ""))
    for i, street in enumerate(profile.streets, 1):
        office = street.name.removesuffix("街道") + "街道办事处"
        rows.append(
            (
                year,
                f"M{i:02d}00",
                chinese_name(rng),
                "管理者",
                "街道",
                street.name,
                "",
                office,
                "是",
                "",
            )
        )
        for j, community in enumerate(street.communities, 1):
            rows.append(
                (year, f"M{i:02d}{j:02d}", chinese_name(rng), "管理者", "社区")
                + (street.name, community, community, "否", "")
            )
        for k in range(1, 4):
            rows.append(
                (year, f"C{i:02d}{k:02d}", chinese_name(rng), "辅导员", "街道")
                + (street.name, "", office, "否", rng.choice(("退休教师", "社工", "文化站干部")))
            )
    departments = ("区教育局", "区文明办", "区民政局", "区委党校", "区社区学院", "区妇联")
    for n in range(1, 13):
        expert = n > len(departments)
        unit = "高校社区教育研究者" if expert else departments[n - 1]
        rows.append(
            (year, f"R{n:04d}", chinese_name(rng), "理论研究组", "区", "", "", unit, "否")
            + ("专家" if expert else "部门抽调",)
        )
    return write_csv(path, header, rows)


def write_community_schools_csv(path: Path, profile: DistrictProfile, *, year: int) -> Path:
    """The pilot community schools (R8.3), opened at the start of the autumn term."""
    rows = [
        (school.street, f"{school.street}社区学校", school.name, f"{year}-09-01", "")
        for school in profile.schools
        if school.pilot
    ]
    return write_csv(path, ("街道", "名称", "承办学校", "开办日期", "达标日期"), rows)


def write_playgrounds_csv(path: Path, profile: DistrictProfile, *, seed: int) -> Path:
    """Every primary school, summer and winter hours (each school a little different)."""
    rng = random.Random(seed)
    rows = []
    for school in profile.schools:
        if not is_primary(school.name):
            continue
        facilities = "操场、" + "、".join(
            rng.sample(["篮球场", "乒乓球台", "羽毛球场", "健身路径"], 2)
        )
        late = rng.choice((0, 30))
        rows.append((school.name, "夏季", "06:00-07:30", f"18:{late:02d}-20:30", facilities))
        rows.append((school.name, "冬季", "06:30-07:30", "17:30-19:30", facilities))
    return write_csv(path, ("学校", "季节", "早间开放", "晚间开放", "开放设施"), rows)


def write_pledges_csv(path: Path, profile: DistrictProfile, *, year: int) -> Path:
    """Eight pledges of five units: ideas, money, volunteer hours and a venue lent."""
    streets = profile.street_names
    header = ("年度", "编号", "单位代码", "单位名称", "单位类别", "街道", "形式", "内容") + (
        "出资金额",
        "服务时长",
        "出借场地",
        "场地容纳人数",
        "承诺日期",
    )
    rows = [
        ("U001", 0, "出钱", "社区学校购置图书和多媒体设备", 50000, "", "", "", "03-15"),
        ("U001", 0, "出力", "员工志愿者到社区学校开设编程兴趣班", "", 120, "", "", "03-15"),
        ("U002", 2, "出谋", "社区学校开设家庭阅读指导讲座的建议", "", "", "", "", "04-02"),
        ("U002", 2, "出力", "", "", "", "图书馆多功能厅", 120, "04-02"),
        ("U003", 1, "出钱", "老年人智能手机培训教材印制", 20000, "", "", "", "05-20"),
        ("U004", 3, "出力", "青年志愿者周末到社区辅导中小学生", "", 300, "", "", "06-01"),
        ("U005", 4, "出谋", "把健康讲座纳入社区学校课程的建议", "", "", "", "", "06-18"),
        ("U005", 4, "出力", "", "", 60, "卫生服务中心会议室", 50, "06-18"),
    ]
    units = {code: (name, kind) for code, name, kind in UNITS}
    out = [
        (year, f"P{n:04d}", code, *units[code], streets[s % len(streets)], form, content)
        + (amount, hours, venue, seats, f"{year}-{md}")
        for n, (code, s, form, content, amount, hours, venue, seats, md) in enumerate(rows, 1)
    ]
    return write_csv(path, header, out)


def write_sign_in_csv(
    path: Path,
    trainings: Sequence[tuple[date, str, int]],
    *,
    seed: int,
    share: float = 0.85,
) -> Path:
    """Sign-in lists of trainings given as (day, title, invited): about `share` of the invited
    sign in, each with a name unique in its training."""
    rng = random.Random(seed)
    rows = []
    for day, title, invited in trainings:
        names: set[str] = set()
        while len(names) < round(invited * share):
            names.add(chinese_name(rng))
        rows += [(day.isoformat(), title, name, "", "") for name in sorted(names)]
    return write_csv(path, ("会议日期", "会议", "姓名", "参会对象", "单位"), rows)
