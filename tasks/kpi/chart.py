"""The KPI chart a leader pastes into a report (R1): progress towards the goal, and the streets.

Left, each indicator's completion of its yearly target (actual ÷ target) over the years up to the
goal year of the 3-5-year plan; right, the year's figures per street. Chinese labels with a CJK
font found on the machine, English labels (and how to install one) without.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from tasks.common.charts import INSTALL_HINT, cjk_font
from tasks.kpi.report import KpiReport

if TYPE_CHECKING:
    from matplotlib.figure import Figure

CAP = 2.0  # completion drawn at most at 200% (the value is written beside the point)
SHORT = {
    "community_school_streets": ("建有社区学校的街道", "Streets with a community school"),
    "seconded_teachers": ("挂职教师", "Seconded teachers"),
    "ideas_received": ("金点子征集", "Ideas received"),
    "ideas_adopted": ("金点子采纳", "Ideas adopted"),
    "volunteers_teaching": ("授课志愿者", "Volunteers teaching"),
    "lecturers": ("讲师团成员", "Lecturers"),
    "meetings": ("年度会议", "Annual meetings"),
    "trainings": ("干部培训", "Cadre trainings"),
    "awards": ("评选入选", "Award winners"),
    "bases": ("教育基地（类）", "Bases (kinds)"),
    "teams": ("五支队伍", "Teams formed"),
    "dedicated_streets": ("专职管理人员街道", "Streets with dedicated staff"),
    "research_members": ("理论研究组", "Research group"),
    "training_signed_in": ("培训签到", "Training sign-ins"),
    "publicity_key_days": ("宣传月节点通知", "Publicity notices"),
    "material_distributed": ("资料发放到户", "Material distributed"),
    "contributing_units": ("共建单位", "Contributing units"),
    "open_playgrounds": ("开放操场小学", "Open playgrounds"),
    "community_schools_standard": ("社区学校达标", "Schools at the standard"),
    "seminars": ("专题研讨", "Research seminars"),
}
STREET_SERIES = {
    "挂职教师": "Seconded teachers",
    "入选单位": "Award winners",
    "授课志愿者": "Volunteers teaching",
}
COLORS = ("#1f4e79", "#c55a11", "#548235", "#7030a0", "#bf9000", "#2e75b6", "#a5a5a5", "#843c0c")


def _count(value: object) -> int:
    return value if isinstance(value, int) else 0


def draw_kpi_chart(reports: list[KpiReport], *, font: str | None) -> Figure:
    """The chart of the last report's year, with the earlier reports as its history."""
    from matplotlib.figure import Figure
    from matplotlib.ticker import PercentFormatter

    zh = font is not None
    current = reports[-1]
    years = [r.year for r in reports]
    last_year = max([*years, current.goal_year or current.year])
    axis_years = list(range(min(years), last_year + 1))
    figure = Figure(figsize=(13, 6), dpi=150, layout="constrained")
    left, right = figure.subplots(1, 2, width_ratios=(1.25, 1))

    keys = [line.key for line in current.lines if line.target]
    width = 0.84 / max(len(keys), 1)
    for i, key in enumerate(keys):
        points = []
        for report in reports:
            line = next((x for x in report.lines if x.key == key and x.target), None)
            if line is not None and line.target:
                points.append((report.year, line.actual / line.target))
        xs = [year + (i - (len(keys) - 1) / 2) * width for year, _ in points]
        label = SHORT.get(key, (key, key))[0 if zh else 1]
        bars = left.bar(
            xs, [min(share, CAP) for _, share in points], width=width * 0.92,
            color=COLORS[i % len(COLORS)], label=label,
        )  # fmt: skip
        left.bar_label(
            bars, [f"{share:.0%}" for _, share in points], rotation=90, padding=2, fontsize=8
        )
    left.axhline(1.0, linestyle="--", color="#404040", linewidth=1.2)
    left.text(
        axis_years[-1] + 0.45, 1.02, "年度目标" if zh else "yearly target", fontsize=9,
        color="#404040", va="bottom", ha="right",
    )  # fmt: skip
    if current.goal_year:
        left.axvline(current.goal_year + 0.5, linestyle=":", color="#808080")
        left.text(
            current.goal_year + 0.45, CAP + 0.42, f"目标年度 {current.goal_year}年" if zh
            else f"goal year {current.goal_year}", ha="right", fontsize=9, color="#606060",
        )  # fmt: skip
    left.set_xlim(axis_years[0] - 0.5, axis_years[-1] + 0.5)
    left.set_xticks(axis_years, [f"{y}年" if zh else str(y) for y in axis_years])
    left.set_ylim(0, CAP + 0.5)
    left.set_yticks([0, 0.25, 0.5, 0.75, 1.0, 1.25, 1.5, 1.75, 2.0])
    left.yaxis.set_major_formatter(PercentFormatter(1.0))
    left.set_ylabel("完成率（实际 ÷ 当年目标）" if zh else "completion (actual / target)")
    left.set_title("建设目标完成情况" if zh else "Progress towards the targets", fontsize=13)
    left.grid(axis="y", alpha=0.3)
    left.legend(fontsize=9, loc="upper center", bbox_to_anchor=(0.5, -0.07), ncols=4)

    streets = [str(row["街道"]) for row in current.per_street]
    names = streets if zh else [f"Street {i + 1}" for i in range(len(streets))]
    height = 0.8 / len(STREET_SERIES)
    for i, (series, english) in enumerate(STREET_SERIES.items()):
        values = [_count(row.get(series)) for row in current.per_street]
        positions = [n + (i - 1) * height for n in range(len(streets))]
        bars = right.barh(
            positions, values, height=height, color=COLORS[i], label=series if zh else english
        )
        right.bar_label(bars, [str(v) if v else "" for v in values], fontsize=8, padding=2)
    right.set_yticks(range(len(streets)), names)
    right.invert_yaxis()
    right.set_title(
        f"各街道情况（{current.year}年）" if zh else f"Streets ({current.year})", fontsize=13
    )
    right.set_xlabel("人数 / 个数" if zh else "count")
    right.legend(fontsize=9, loc="upper center", bbox_to_anchor=(0.5, -0.1), ncols=3)
    right.grid(axis="x", alpha=0.3)
    right.margins(x=0.15)

    title = (
        f"{current.district}{current.year}年度学习型城区建设指标"
        if zh
        else f"Learning district indicators {current.year}"
    )
    figure.suptitle(title, fontsize=16, fontweight="bold")
    note = "完成率超过200%的柱画到200%为止，柱上标注实际完成率。" if zh else INSTALL_HINT
    figure.supxlabel(note, fontsize=9, color="#606060" if zh else "#a00000", x=0.01, ha="left")
    return figure


def write_kpi_chart(reports: list[KpiReport], path: Path) -> Path:
    """Draw the chart with a CJK font when there is one, and save it as a PNG."""
    from matplotlib import rc_context

    font = cjk_font()
    families = [font, "DejaVu Sans"] if font else ["DejaVu Sans"]
    with rc_context({"font.family": families, "axes.unicode_minus": False}):
        figure = draw_kpi_chart(reports, font=font)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.stem}.tmp.png")
        figure.savefig(tmp, dpi=110)
    tmp.replace(path)
    return path
