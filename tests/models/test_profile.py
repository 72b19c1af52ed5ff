"""The district profile: the bundled default, the minimal profile, and errors a clerk can fix."""

from __future__ import annotations

from pathlib import Path

import pytest

from models.profile.loading import (
    ProfileError,
    default_profile_text,
    load_profile,
    parse_profile,
    profile_digest,
)
from models.profile.schema import DistrictProfile

PILOT_STREETS = ["嘉兴路街道", "洛阳路街道", "海伦路街道"]
PILOT_SCHOOLS = {
    "人民路第一小学": "嘉兴路街道",
    "洛阳路第二小学": "洛阳路街道",
    "区实验小学": "海伦路街道",
}

# Verbatim from docs/spec.md "The district profile": a profile with only these keys must load.
SPEC_MINIMAL = """\
district: 示例区
timezone: Asia/Shanghai
streets:
  - name: 嘉兴路街道
    pilot: true
    communities: [嘉兴一居委, 嘉兴二居委]
schools:
  - name: 人民路第一小学
    street: 嘉兴路街道
secondment:                     # R10.2; every key optional
  quotas: {嘉兴路街道: 5, 洛阳路街道: 5, 海伦路街道: 5}
  min_years: 5
  cooldown_years: 2
  max_per_school: 2
  min_backbone_share: 0.2
  preference_bonus: 5
  weights: {political: 0.30, experience: 0.20, ability: 0.25, community_work: 0.25}
awards:                         # R11.2; every key optional
  quotas: {residential_area: 5, agency: 5, enterprise: 5, building: 5, family: 5, leader: 5}
  min_judges: 3
  criteria: {organisation: 0.3, activities: 0.3, participation: 0.2, effect: 0.2}
  judges:
    - {name: 评委甲, street: 嘉兴路街道}
"""

# The smallest profile that still lists the three pilot streets the spec block's quotas name.
SPEC_MINIMAL_WITH_STREETS = SPEC_MINIMAL.replace(
    "schools:",
    "  - name: 洛阳路街道\n    pilot: true\n  - name: 海伦路街道\n    pilot: true\nschools:",
)


UNKNOWN_KEY = "不是区情配置中的项，请检查拼写"


def problems(text: str, source: str = "district.yaml") -> list[str]:
    """The problems PARSE_PROFILE reports for TEXT (the test fails if it loads)."""
    with pytest.raises(ProfileError) as exc:
        parse_profile(text, source)
    assert exc.value.source == source
    count = len(exc.value.problems)
    assert str(exc.value).startswith(f"{source}：区情配置有误，未载入（{count} 处问题）")
    return exc.value.problems


def only_problem(text: str, source: str = "district.yaml") -> str:
    found = problems(text, source)
    assert len(found) == 1, found
    return found[0]


# ---------------------------------------------------------------- the bundled profile


def test_bundled_profile_is_the_policy_district() -> None:
    profile, text = load_profile()

    assert text == default_profile_text()
    assert profile.district == "示例区"
    assert profile.timezone == "Asia/Shanghai"
    assert [s.name for s in profile.streets if s.pilot] == PILOT_STREETS
    assert [s for s in profile.streets if not s.pilot], "non-pilot streets exist"
    pilot_schools = {s.name: s.street for s in profile.schools if s.pilot}
    assert pilot_schools == PILOT_SCHOOLS
    assert profile.secondment_quotas() == dict.fromkeys(PILOT_STREETS, 5)
    assert all(street.communities for street in profile.streets)
    assert {b.kind for b in profile.bases} == {
        "party_school",
        "community_management_school",
        "elderly_university",
        "children_centre",
    }
    assert set(profile.school_streets.values()) <= set(profile.street_names)


def test_bundled_profile_uses_the_policy_defaults() -> None:
    profile, _ = load_profile()
    policy = profile.secondment

    assert (policy.min_years, policy.cooldown_years, policy.max_per_school) == (5, 2, 2)
    assert policy.min_backbone_share == 0.2
    assert policy.preference_bonus == 5
    weights = policy.weights
    assert (weights.political, weights.experience, weights.ability, weights.community_work) == (
        0.30,
        0.20,
        0.25,
        0.25,
    )
    assert profile.awards.min_judges == 3
    assert set(profile.awards.quotas.values()) == {5}


def test_profile_digest_is_stable_and_tells_texts_apart() -> None:
    text = default_profile_text()
    assert profile_digest(text) == profile_digest(text)
    assert profile_digest(text) != profile_digest(text + "\n# edited\n")


# ---------------------------------------------------------------- the spec's minimal profile


def test_spec_minimal_profile_loads_verbatim() -> None:
    # the spec's block names quotas for streets it does not list: it loads, a warning per street
    warnings: list[str] = []
    profile = parse_profile(SPEC_MINIMAL, "spec.yaml", warnings=warnings)

    assert profile.street_names == ["嘉兴路街道"]
    assert profile.secondment_quotas() == {"嘉兴路街道": 5, "洛阳路街道": 5, "海伦路街道": 5}
    assert [w.split("：")[0] for w in warnings] == [
        "spec.yaml 第11行（secondment.quotas.洛阳路街道）",
        "spec.yaml 第11行（secondment.quotas.海伦路街道）",
    ]
    assert "“洛阳路街道”不在街道名单（streets）中" in warnings[0]


def test_spec_minimal_profile_loads_with_the_spec_defaults(tmp_path: Path) -> None:
    path = tmp_path / "minimal.yaml"
    path.write_text(SPEC_MINIMAL_WITH_STREETS, encoding="utf-8")

    profile, text = load_profile(path)

    assert text == SPEC_MINIMAL_WITH_STREETS
    assert profile.street_names == PILOT_STREETS
    assert profile.streets[0].communities == ["嘉兴一居委", "嘉兴二居委"]
    assert profile.school_streets == {"人民路第一小学": "嘉兴路街道"}
    assert profile.schools[0].pilot is False
    assert profile.secondment_quotas() == dict.fromkeys(PILOT_STREETS, 5)
    assert profile.awards.judges[0].name == "评委甲"
    assert (profile.bases, profile.venues) == ([], [])


def test_profile_without_optional_sections_gets_every_default() -> None:
    profile = parse_profile(
        "district: 示例区\nstreets:\n  - {name: 嘉兴路街道, pilot: true}\n  - name: 四川北路街道\n"
    )
    default = DistrictProfile(district="x", streets=[{"name": "y"}])  # type: ignore[list-item]

    assert profile.timezone == "Asia/Shanghai"
    assert profile.secondment == default.secondment
    assert profile.awards == default.awards
    assert profile.awards.criteria == {
        "organisation": 0.3,
        "activities": 0.3,
        "participation": 0.2,
        "effect": 0.2,
    }
    # No quotas: the pilot year gives 5 teachers to every pilot street (R10.2).
    assert profile.secondment_quotas() == {"嘉兴路街道": 5}


# ---------------------------------------------------------------- errors name file, line, path


def test_unknown_key_names_file_line_and_path(tmp_path: Path) -> None:
    path = tmp_path / "district.yaml"
    path.write_text(
        "district: 示例区\nstreets:\n  - name: 嘉兴路街道\n    colour: red\n", encoding="utf-8"
    )

    with pytest.raises(ProfileError) as exc:
        load_profile(path)

    assert exc.value.problems == [f"{path} 第4行（streets[0].colour）：{UNKNOWN_KEY}"]
    assert str(path) in str(exc.value)


def test_unknown_top_level_key() -> None:
    assert only_problem("district: x\nstreets:\n  - name: a\nstreet_list: []\n") == (
        f"district.yaml 第4行（street_list）：{UNKNOWN_KEY}"
    )


def test_duplicate_yaml_key_is_an_error_not_a_silent_overwrite() -> None:
    text = "district: x\nstreets:\n  - name: a\nsecondment:\n  min_years: 5\n  min_years: 3\n"
    assert only_problem(text) == (
        "district.yaml 第6行（secondment.min_years）：键“min_years”重复（第5行已有）"
    )


def test_duplicate_street_name() -> None:
    text = "district: x\nstreets:\n  - name: a\n  - name: b\n  - name: a\n"
    assert only_problem(text) == "district.yaml 第5行（streets[2].name）：街道名称“a”重复"


def test_duplicate_community_across_streets() -> None:
    text = (
        "district: x\n"
        "streets:\n"
        "  - name: a\n"
        "    communities: [c1, c2]\n"
        "  - name: b\n"
        "    communities:\n"
        "      - c3\n"
        "      - c1\n"
    )
    assert only_problem(text) == (
        "district.yaml 第8行（streets[1].communities[1]）：社区名称“c1”重复"
    )


def test_duplicate_school() -> None:
    text = (
        "district: x\nstreets:\n  - name: a\n"
        "schools:\n  - {name: s, street: a}\n  - {name: s, street: a}\n"
    )
    assert only_problem(text) == "district.yaml 第6行（schools[1].name）：学校名称“s”重复"


def test_school_on_unknown_street() -> None:
    text = "district: x\nstreets:\n  - name: a\nschools:\n  - name: s\n    street: zz\n"
    assert only_problem(text) == (
        "district.yaml 第6行（schools[0].street）：学校“s”所在的“zz”不在街道名单（streets）中"
    )


def test_quota_on_unknown_street_is_a_warning() -> None:
    text = "district: x\nstreets:\n  - name: a\nsecondment:\n  quotas:\n    a: 5\n    zz: 3\n"
    warnings: list[str] = []
    parse_profile(text, "district.yaml", warnings=warnings)
    assert len(warnings) == 1
    assert warnings[0].startswith(
        "district.yaml 第7行（secondment.quotas.zz）：名额所列的“zz”不在街道名单（streets）中"
    )


def test_weights_must_sum_to_one() -> None:
    text = (
        "district: x\nstreets:\n  - name: a\nsecondment:\n"
        "  weights: {political: 0.5, experience: 0.5, ability: 0.25, community_work: 0.25}\n"
    )
    problem = only_problem(text)
    assert problem.startswith("district.yaml 第5行（secondment.weights）：")
    assert "择优各项权重之和应为1，现为1.5" in problem


def test_not_yaml_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "broken.yaml"
    path.write_text("district: x\nstreets: [a,\n  b: c\n", encoding="utf-8")

    with pytest.raises(ProfileError) as exc:
        load_profile(path)

    (problem,) = exc.value.problems
    assert problem.startswith(f"{path} 第")
    assert "不是有效的YAML格式" in problem


def test_tab_indentation_is_not_yaml() -> None:
    problem = only_problem("district: x\nstreets:\n\t- name: a\n")
    assert problem.startswith("district.yaml 第3行第1列：不是有效的YAML格式")


@pytest.mark.parametrize("text", ["", "\n\n", "# nothing but a comment\n"])
def test_empty_file(text: str) -> None:
    assert only_problem(text) == "district.yaml：文件是空的"


def test_top_level_list() -> None:
    text = "- district: x\n- streets: []\n"
    assert only_problem(text) == "district.yaml 第1行：区情配置应是“键: 值”的对应表"


def test_top_level_scalar() -> None:
    assert only_problem("just a sentence\n") == (
        "district.yaml 第1行：区情配置应是“键: 值”的对应表"
    )


def test_missing_file_and_non_utf8_file(tmp_path: Path) -> None:
    missing = tmp_path / "missing.yaml"
    with pytest.raises(ProfileError) as exc:
        load_profile(missing)
    assert exc.value.problems == [f"{missing}：找不到这个文件"]

    gbk = tmp_path / "gbk.yaml"
    gbk.write_bytes("district: 示例区\n".encode("gbk"))
    with pytest.raises(ProfileError) as exc:
        load_profile(gbk)
    assert exc.value.problems[0].startswith(f"{gbk}：不是UTF-8编码的文本")


def test_several_schema_problems_are_reported_together() -> None:
    text = (
        "district: x\n"  # 1
        "colour: blue\n"  # 2
        "streets:\n"  # 3
        "  - name: a\n"  # 4
        "    pilot: maybe\n"  # 5
        "secondment:\n"  # 6
        "  min_years: -1\n"  # 7
        "  min_years: 3\n"  # 8
        "  weights: {political: 1, experience: 1}\n"  # 9
        "venues:\n"  # 10
        "  - {name: hall, capacity: 0}\n"  # 11
    )
    found = problems(text)
    assert found[0] == (
        "district.yaml 第8行（secondment.min_years）：键“min_years”重复（第7行已有）"
    )
    assert f"district.yaml 第2行（colour）：{UNKNOWN_KEY}" in found
    lines = sorted(problem.split("（")[0] for problem in found[1:])
    assert lines == sorted(f"district.yaml 第{n}行" for n in (2, 5, 9, 11)), found


def test_several_cross_section_problems_are_reported_together() -> None:
    text = (
        "district: x\n"  # 1
        "streets:\n"  # 2
        "  - name: a\n"  # 3
        "    communities: [c, c]\n"  # 4
        "  - name: a\n"  # 5
        "schools:\n"  # 6
        "  - {name: s, street: zz}\n"  # 7
        "  - {name: s, street: a}\n"  # 8
        "secondment:\n"  # 9
        "  quotas: {yy: 5}\n"  # 10
    )
    assert problems(text) == [
        "district.yaml 第5行（streets[1].name）：街道名称“a”重复",
        "district.yaml 第4行（streets[0].communities[1]）：社区名称“c”重复",
        "district.yaml 第8行（schools[1].name）：学校名称“s”重复",
        "district.yaml 第7行（schools[0].street）：学校“s”所在的“zz”不在街道名单（streets）中",
    ]


def test_profile_is_immutable() -> None:
    profile, _ = load_profile()
    with pytest.raises(ValueError):
        profile.district = "其他区"  # type: ignore[misc]


def test_field_errors_are_chinese_and_name_the_key_path() -> None:
    text = (
        "district: x\n"  # 1
        "streets:\n"  # 2
        "  - pilot: true\n"  # 3
        "  - name: b\n"  # 4
        "    pilot: maybe\n"  # 5
        "secondment:\n"  # 6
        "  min_years: -1\n"  # 7
        "  quotas: {b: zwei}\n"  # 8
        "venues:\n"  # 9
        "  - {name: hall, capacity: 0}\n"  # 10
    )
    assert sorted(problems(text)) == sorted(
        [
            "district.yaml 第3行（streets[0].name）：缺少必填项",
            "district.yaml 第5行（streets[1].pilot）：应为 true 或 false（填的是 maybe）",
            "district.yaml 第7行（secondment.min_years）：应不小于 0（填的是 -1）",
            "district.yaml 第8行（secondment.quotas.b）：应为整数（填的是 zwei）",
            "district.yaml 第10行（venues[0].capacity）：应大于 0（填的是 0）",
        ]
    )


@pytest.mark.parametrize(
    ("text", "said"),
    [
        ("district: [x\n", "第2行第1列：不是有效的YAML格式：方括号“[”没有闭合"),
        ("district: x\n\tstreets: 1\n", "第2行第1列：不是有效的YAML格式：用了制表符（Tab）缩进"),
        ("district: a: b\n", "第1行第12列：不是有效的YAML格式：这里不能有冒号"),
        ('district: "x\n', "第2行第1列：不是有效的YAML格式：引号没有闭合"),
    ],
)
def test_common_yaml_mistakes_are_said_in_chinese(text: str, said: str) -> None:
    assert only_problem(text).startswith(f"district.yaml {said}")
