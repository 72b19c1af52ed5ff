"""The KPI report counts every rule of the policy that has a measurable target."""

from __future__ import annotations

from pathlib import Path

from models.profile.schema import DistrictProfile
from tasks.importing.community_schools import import_community_schools_file
from tasks.importing.network import (
    import_bases_file,
    import_team_file,
)
from tasks.importing.playgrounds import import_playgrounds_file
from tasks.kpi.chart import SHORT
from tasks.kpi.report import collect_kpis, kpi_markdown
from tasks.samples import network as samples

MEASURABLE = {
    "R5", "R6", "R7.1", "R7.2", "R7.3", "R7.4", "R7.5", "R7.6",
    "R8.2", "R8.3", "R10.1", "R10.2", "R10.3", "R10.4", "R10.5", "R11.2",
}  # fmt: skip


def test_every_measurable_rule_has_a_line_with_its_target(registry: DistrictProfile) -> None:
    report = collect_kpis(year=2026)

    assert {line.rule for line in report.lines if line.target is not None} >= MEASURABLE
    keys = [line.key for line in report.lines]
    assert len(keys) == len(set(keys))
    # every line the chart draws (those with a target) has its short Chinese label
    assert {line.key for line in report.lines if line.target is not None} <= set(SHORT)


def test_the_registers_count_against_the_policys_own_targets(
    registry: DistrictProfile, tmp_path: Path
) -> None:
    import_bases_file(samples.write_bases_csv(tmp_path / "b.csv", registry))
    import_team_file(samples.write_team_csv(tmp_path / "t.csv", registry, year=2026, seed=1))
    import_community_schools_file(
        samples.write_community_schools_csv(tmp_path / "c.csv", registry, year=2026)
    )
    import_playgrounds_file(samples.write_playgrounds_csv(tmp_path / "p.csv", registry, seed=1))

    report = collect_kpis(year=2026)
    later = collect_kpis(year=2027)

    lines = {line.key: line for line in report.lines}
    assert (lines["bases"].actual, lines["bases"].target, lines["bases"].met) == (4, 4, True)
    primary = sum(s.name.endswith("小学") for s in registry.schools)
    assert (lines["open_playgrounds"].actual, lines["open_playgrounds"].target) == (
        primary,
        primary,
    )
    assert (
        lines["dedicated_streets"].actual == len(registry.streets)
        and lines["dedicated_streets"].met
    )
    assert lines["research_members"].actual == 12 and lines["research_members"].met
    assert lines["teams"].actual == 3  # managers, counsellors, researchers: no volunteers yet
    # the three pilots opened on 1 September 2026; the plan wants five streets by 2027
    assert (lines["community_school_streets"].actual, lines["community_school_streets"].target) == (
        3,
        3,
    )
    late = {line.key: line for line in later.lines}["community_school_streets"]
    assert (late.actual, late.target, late.met) == (3, 5, False)
    streets = {row["街道"]: row for row in report.per_street}
    assert streets["嘉兴路街道"]["开放操场"] == 2 and streets["嘉兴路街道"]["管理者"] == 5
    markdown = kpi_markdown(report)
    assert "| 已建成的社区教育基地（类） | R5 | 4 | 4 | 达成 |" in markdown
    columns: tuple[str, ...] = ("街道", "试点", "社区学校", "挂职教师", "入选单位", "授课志愿者")
    columns += ("管理者", "开放操场", "共建单位")
    assert "| " + " | ".join(columns) + " |" in markdown
