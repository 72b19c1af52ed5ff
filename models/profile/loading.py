"""Reading the district profile (YAML) and checking it whole.

Problems are reported in Chinese and name the place in the file, with the dotted key path so
the operator finds it: `district.yaml 第12行（streets[0].name）：缺少必填项`.
"""

from __future__ import annotations

import hashlib
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from models.profile.calendar import calendar_problems
from models.profile.holidays import notice_problems
from models.profile.network import network_problems
from models.profile.playgrounds import playground_problems
from models.profile.schema import DistrictProfile
from models.refusal import RULES, Refusal

DEFAULT_PROFILE_NAME = "default_profile.yaml"
# Bounds that keep a hostile or broken file from hanging the loader: the bundled district is
# 8 kB, ~600 values and 6 levels deep; a district with a thousand communities stays far inside.
MAX_PROFILE_BYTES = 500_000
MAX_PROFILE_VALUES = 100_000  # after expanding YAML aliases ("billion laughs")
MAX_PROFILE_DEPTH = 20


class ProfileError(Refusal):
    """A profile that cannot be used; `problems` lists each one with its place in the file."""

    def __init__(self, source: str, problems: list[str]) -> None:
        self.source = source
        self.problems = problems
        super().__init__(
            f"{source}：区情配置有误，未载入（{len(problems)} 处问题）\n" + "\n".join(problems)
        )


def _at(source: str, line: int, path: tuple[Any, ...] | None = None) -> str:
    """Where a problem is: `district.yaml 第12行（streets[0].name）`."""
    return f"{source} 第{line}行" + ("" if path is None else f"（{_dotted(path)}）")


# pydantic error types the profile's fields can raise, beyond the ones every form shares
PROFILE_RULES: dict[str, str] = {
    **RULES,
    "missing": "缺少必填项",
    "extra_forbidden": "不是区情配置中的项，请检查拼写",
    "too_short": "至少应有 {min_length} 项",
    "too_long": "最多 {max_length} 项",
    "string_too_short": "至少 {min_length} 个字，不能为空",
    "bool_type": "应为 true 或 false",
    "bool_parsing": "应为 true 或 false",
    "model_type": "应为“键: 值”的对应表",
    "model_attributes_type": "应为“键: 值”的对应表",
    "dict_type": "应为“键: 值”的对应表",
    "time_parsing": "应为时间（时:分，如 09:30）",
    "time_type": "应为时间（时:分，如 09:30）",
    "union_tag_invalid": "类型应为以下之一：{expected_tags}",
    "set_type": "应为一组值",
    "tuple_type": "应为一组值",
    "datetime_parsing": "应为日期时间",
}


def _problem_text(error: Any) -> str:
    """One pydantic error as a Chinese rule; the value written is quoted when it helps."""
    kind = error["type"]
    context = dict(error.get("ctx") or {})
    if kind == "value_error" and "error" in context:
        return str(context["error"])
    if kind == "assertion_error" and "error" in context:
        return str(context["error"])
    template = PROFILE_RULES.get(kind)
    if template is None:
        return f"填写有误（{error['msg']}）"
    if "expected" in context:
        context["expected"] = str(context["expected"]).replace("'", "").replace(" or ", "、")
    try:
        text = template.format(**context)
    except (KeyError, IndexError):
        text = template.split("{")[0].rstrip("：: ")
    given = error.get("input")
    if kind not in ("missing", "extra_forbidden") and isinstance(given, (int, float, str)):
        text += f"（填的是 {given}）"
    return text


def _node_lines(
    node: yaml.Node,
    path: tuple[Any, ...],
    out: dict[tuple[Any, ...], int],
    problems: list[str],
    source: str,
) -> None:
    """Record the 1-based line of every path in the YAML tree; report duplicate keys."""
    out[path] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        seen: dict[Any, int] = {}
        for key_node, value_node in node.value:
            key = key_node.value
            line = key_node.start_mark.line + 1
            if key in seen:
                problems.append(
                    f"{_at(source, line, path + (key,))}：键“{key}”重复（第{seen[key]}行已有）"
                )
            seen[key] = line
            out[path + (key,)] = line
            _node_lines(value_node, path + (key,), out, problems, source)
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            _node_lines(item, path + (i,), out, problems, source)


def _too_large(size: int) -> str:
    return f"文件有 {size:,} 字节，区情配置最多 {MAX_PROFILE_BYTES:,} 字节"


def _check_shape(text: str, source: str) -> None:
    """Refuse a file too large or nested too deeply to load safely, naming the line."""
    size = len(text.encode("utf-8"))
    if size > MAX_PROFILE_BYTES:
        raise ProfileError(source, [f"{source}：{_too_large(size)}"])
    depth = 0
    try:
        # events, not nodes: the event parser is not recursive, so depth is safe to measure
        for event in yaml.parse(text, Loader=yaml.SafeLoader):
            if isinstance(event, yaml.CollectionStartEvent):
                depth += 1
                if depth > MAX_PROFILE_DEPTH:
                    line = event.start_mark.line + 1 if event.start_mark else 1
                    raise ProfileError(
                        source,
                        [
                            f"{_at(source, line)}：嵌套超过{MAX_PROFILE_DEPTH}层，"
                            "区情配置不会有这么深的层次"
                        ],
                    )
            elif isinstance(event, yaml.CollectionEndEvent):
                depth -= 1
    except yaml.YAMLError:
        return  # compose reports the syntax error with its line


class _RecursiveAlias(Exception):
    def __init__(self, node: yaml.Node) -> None:
        self.line = node.start_mark.line + 1


def _expanded_size(node: yaml.Node, memo: dict[int, int | None]) -> int:
    """How many values NODE stands for once every alias is expanded.

    A shared node counts once per use but is measured once, so an alias bomb is cheap to size;
    a node met again while it is being measured is an alias inside its own anchor (a loop).
    """
    if id(node) in memo:
        known = memo[id(node)]
        if known is None:
            raise _RecursiveAlias(node)
        return known
    memo[id(node)] = None
    size = 1
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            size += _expanded_size(key, memo) + _expanded_size(value, memo)
    elif isinstance(node, yaml.SequenceNode):
        size += sum(_expanded_size(item, memo) for item in node.value)
    memo[id(node)] = size
    return size


def _check_aliases(node: yaml.Node, source: str) -> None:
    """Refuse aliases that loop or expand beyond MAX_PROFILE_VALUES, naming the line."""
    memo: dict[int, int | None] = {}
    try:
        if _expanded_size(node, memo) <= MAX_PROFILE_VALUES:
            return
    except _RecursiveAlias as loop:
        problem = f"{_at(source, loop.line)}：YAML别名（*名称）出现在它自己的锚点之内，无限循环"
        raise ProfileError(source, [problem]) from None
    where = ""
    if isinstance(node, yaml.MappingNode):
        key, _ = max(node.value, key=lambda pair: memo[id(pair[1])] or 0)
        where = f" 第{key.start_mark.line + 1}行（{key.value}）"
    raise ProfileError(
        source,
        [
            f"{source}{where}：YAML别名（*名称）展开后超过 {MAX_PROFILE_VALUES:,} 个值，"
            "请直接写出各值，不要重复引用锚点"
        ],
    )


@lru_cache(maxsize=1)
def _text_dates_loader() -> type[yaml.SafeLoader]:
    """The safe loader, with dates left as text: YAML turns 2027-02-35 into a crash with no line,
    while the fields that hold dates parse them and name their place."""
    timestamp = "tag:yaml.org,2002:timestamp"
    resolvers = {
        first: [(tag, regexp) for tag, regexp in found if tag != timestamp]
        for first, found in yaml.SafeLoader.yaml_implicit_resolvers.items()
    }
    return type("TextDatesLoader", (yaml.SafeLoader,), {"yaml_implicit_resolvers": resolvers})


def _dotted(path: tuple[Any, ...]) -> str:
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text or "顶层"


def _line_of(path: tuple[Any, ...], lines: dict[tuple[Any, ...], int]) -> int:
    written: tuple[Any, ...] = ()
    for part in path:  # a number as a mapping key (holidays.notices.2027) is text in the YAML
        as_text = written + (str(part),)
        written = (
            as_text if written + (part,) not in lines and as_text in lines else written + (part,)
        )
    path = written
    while path and path not in lines:
        path = path[:-1]
    return lines.get(path, 1)


def _unknown_street(street: str) -> str:
    return f"街道“{street}”不在街道名单（streets）中"


def _not_yaml(source: str, exc: yaml.YAMLError) -> str:
    """A YAML syntax error in Chinese, naming the line and column; the parser's words follow."""
    mark = getattr(exc, "problem_mark", None)
    where = f"{_at(source, mark.line + 1)}第{mark.column + 1}列" if mark else source
    detail = " ".join(str(getattr(exc, "problem", None) or exc).split())
    said = next((words for found, words in YAML_PROBLEMS.items() if found in detail), None)
    if said is not None:
        return f"{where}：不是有效的YAML格式：{said}"
    return f"{where}：不是有效的YAML格式（{detail}），请检查缩进（只用空格）、冒号和引号"


# the parser's commonest complaints, as the clerk fixes them
YAML_PROBLEMS = {
    "'\\t'": "用了制表符（Tab）缩进，请改用空格",
    "mapping values are not allowed here": "这里不能有冒号，含冒号的文字请加引号",
    "expected ',' or ']'": "方括号“[”没有闭合",
    "expected ',' or '}'": "花括号“{”没有闭合",
    "found unexpected end of stream": "引号没有闭合",
    "could not determine a constructor": "含有不受支持的“!!”类型标签，请删去",
}


def _duplicates(names: list[str]) -> list[tuple[int, str]]:
    seen: set[str] = set()
    dups = []
    for i, name in enumerate(names):
        if name in seen:
            dups.append((i, name))
        seen.add(name)
    return dups


def _cross_check(profile: DistrictProfile) -> list[tuple[tuple[Any, ...], str]]:
    """Problems that span several sections: duplicate names and unknown street references."""
    problems: list[tuple[tuple[Any, ...], str]] = []
    streets = set(profile.street_names)
    for i, name in _duplicates(profile.street_names):
        problems.append((("streets", i, "name"), f"街道名称“{name}”重复"))
    communities: list[str] = []
    places: list[tuple[Any, ...]] = []
    for si, street in enumerate(profile.streets):
        for ci, community in enumerate(street.communities):
            communities.append(community)
            places.append(("streets", si, "communities", ci))
    for i, name in _duplicates(communities):
        problems.append((places[i], f"社区名称“{name}”重复"))
    for i, name in _duplicates([s.name for s in profile.schools]):
        problems.append((("schools", i, "name"), f"学校名称“{name}”重复"))
    for i, name in _duplicates([v.name for v in profile.venues]):
        problems.append((("venues", i, "name"), f"场地名称“{name}”重复"))
    for i, school in enumerate(profile.schools):
        if school.street not in streets:
            problems.append(
                (
                    ("schools", i, "street"),
                    f"学校“{school.name}”所在的“{school.street}”不在街道名单（streets）中",
                )
            )
    for i, base in enumerate(profile.bases):
        if base.street is not None and base.street not in streets:
            problems.append((("bases", i, "street"), _unknown_street(base.street)))
    for i, venue in enumerate(profile.venues):
        if venue.street is not None and venue.street not in streets:
            problems.append((("venues", i, "street"), _unknown_street(venue.street)))
    for i, judge in enumerate(profile.awards.judges):
        if judge.street is not None and judge.street not in streets:
            problems.append(
                (("awards", "judges", i, "street"), f"评委所在的{_unknown_street(judge.street)}")
            )
    problems += calendar_problems(profile.calendar, [v.name for v in profile.venues])
    problems += network_problems(profile.network, profile.street_names)
    problems += playground_problems(profile.playgrounds, [s.name for s in profile.schools])
    for year, entries in profile.holidays.notices.items():
        for index, problem in notice_problems(year, entries):
            place = ("holidays", "notices", str(year)) + (() if index is None else (index,))
            problems.append((place, problem))
    return problems


def _warnings(profile: DistrictProfile) -> list[tuple[tuple[Any, ...], str]]:
    """Things that load but cannot be used as written (docs/spec.md's minimal profile has one)."""
    streets = set(profile.street_names)
    return [
        (
            ("secondment", "quotas", street),
            f"名额所列的“{street}”不在街道名单（streets）中；"
            "补上这个街道之前，按这些名额的交流轮岗将无法运行",
        )
        for street in profile.secondment.quotas
        if street not in streets
    ]


def parse_profile(
    text: str, source: str = "profile", *, warnings: list[str] | None = None
) -> DistrictProfile:
    """Validate profile YAML text; raise ProfileError naming every problem and its line.

    Problems that do not stop the profile from loading are appended to `warnings` when given.
    """
    problems: list[str] = []
    _check_shape(text, source)
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as exc:
        raise ProfileError(source, [_not_yaml(source, exc)]) from exc
    if node is None:
        raise ProfileError(source, [f"{source}：文件是空的"])
    _check_aliases(node, source)
    lines: dict[tuple[Any, ...], int] = {}
    _node_lines(node, (), lines, problems, source)
    try:
        data = yaml.load(text, Loader=_text_dates_loader())
    except yaml.YAMLError as exc:  # e.g. a !!python/object tag: composes, cannot be constructed
        raise ProfileError(source, [_not_yaml(source, exc)]) from None
    if not isinstance(data, dict):
        raise ProfileError(source, [f"{_at(source, 1)}：区情配置应是“键: 值”的对应表"])
    try:
        profile = DistrictProfile.model_validate(data)
    except ValidationError as exc:
        for err in exc.errors():
            loc = tuple(err["loc"])
            problems.append(f"{_at(source, _line_of(loc, lines), loc)}：{_problem_text(err)}")
        raise ProfileError(source, problems) from None
    for loc, msg in _cross_check(profile):
        problems.append(f"{_at(source, _line_of(loc, lines), loc)}：{msg}")
    if problems:
        raise ProfileError(source, problems)
    if warnings is not None:
        for loc, msg in _warnings(profile):
            warnings.append(f"{_at(source, _line_of(loc, lines), loc)}：{msg}")
    return profile


def default_profile_text() -> str:
    return (
        resources.files("models.profile").joinpath(DEFAULT_PROFILE_NAME).read_text(encoding="utf-8")
    )


def load_profile(
    path: Path | None = None, *, warnings: list[str] | None = None
) -> tuple[DistrictProfile, str]:
    """Load a profile file (default: the bundled district of the policy); return it and its text."""
    if path is None:
        text = default_profile_text()
        return parse_profile(text, DEFAULT_PROFILE_NAME, warnings=warnings), text
    try:
        size = Path(path).stat().st_size
        if size > MAX_PROFILE_BYTES:  # refused before reading 50 MB into memory
            raise ProfileError(str(path), [f"{path}：{_too_large(size)}"])
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ProfileError(str(path), [f"{path}：找不到这个文件"]) from None
    except UnicodeDecodeError as exc:
        raise ProfileError(
            str(path),
            [f"{path}：不是UTF-8编码的文本（第{exc.start + 1}个字节起无法读取），请另存为UTF-8"],
        ) from None
    return parse_profile(text, str(path), warnings=warnings), text


def profile_digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]
