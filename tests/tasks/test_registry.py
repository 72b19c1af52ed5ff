"""The district registry: the profile stored in the database, its streets, communities, schools."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlmodel import col, select

from models.db import session_scope
from models.profile.loading import ProfileError, default_profile_text, load_profile, parse_profile
from models.registry import Community, School, StoredProfile, Street
from tasks.common.district import active_profile, init_registry, sync_registry

SMALL = """\
district: 小区
streets:
  - name: 甲街道
    pilot: true
    communities: [甲一居委, 甲二居委]
  - name: 乙街道
    communities: [乙一居委]
schools:
  - {name: 甲小学, street: 甲街道, pilot: true}
  - {name: 乙中学, street: 乙街道}
"""

# SMALL a year on: 乙街道 turns pilot, 丙街道 is new and takes 甲二居委, 乙中学 is gone.
CHANGED = """\
district: 小区
streets:
  - name: 丙街道
    communities: [甲二居委]
  - name: 甲街道
    pilot: true
    communities: [甲一居委]
  - name: 乙街道
    pilot: true
    communities: [乙一居委]
schools:
  - {name: 甲小学, street: 甲街道, pilot: true}
  - {name: 丙小学, street: 丙街道}
secondment:
  quotas: {甲街道: 3, 乙街道: 2}
"""


def sync(text: str, source: str = "small.yaml") -> bool:
    with session_scope() as session:
        return sync_registry(session, profile=parse_profile(text, source), text=text, source=source)


def registry_rows() -> tuple[
    list[tuple[str, bool, int]], dict[str, str], dict[str, tuple[str, bool]], list[StoredProfile]
]:
    with session_scope() as session:
        streets = [
            (s.name, s.pilot, s.position)
            for s in session.exec(select(Street).order_by(col(Street.position), col(Street.name)))
        ]
        communities = {c.name: c.street for c in session.exec(select(Community))}
        schools = {s.name: (s.street, s.pilot) for s in session.exec(select(School))}
        stored = list(session.exec(select(StoredProfile).order_by(col(StoredProfile.id))))
    return streets, communities, schools, stored


def test_sync_stores_streets_communities_and_schools(db: Path) -> None:
    assert sync(SMALL) is True

    streets, communities, schools, stored = registry_rows()
    assert streets == [("甲街道", True, 0), ("乙街道", False, 1)]
    assert communities == {"甲一居委": "甲街道", "甲二居委": "甲街道", "乙一居委": "乙街道"}
    assert schools == {"甲小学": ("甲街道", True), "乙中学": ("乙街道", False)}
    assert [(p.source, p.text) for p in stored] == [("small.yaml", SMALL)]


def test_second_sync_of_the_same_text_is_a_no_op(db: Path) -> None:
    assert sync(SMALL) is True
    before = registry_rows()

    assert sync(SMALL) is False
    assert sync(SMALL, source="copied-elsewhere.yaml") is False, "same text, same profile"

    assert registry_rows() == before
    assert len(before[3]) == 1


def test_changed_profile_is_stored_again_and_upserted(db: Path) -> None:
    assert sync(SMALL) is True
    assert sync(CHANGED, source="changed.yaml") is True

    streets, communities, schools, stored = registry_rows()
    assert streets == [("丙街道", False, 0), ("甲街道", True, 1), ("乙街道", True, 2)]
    assert communities == {"甲一居委": "甲街道", "甲二居委": "丙街道", "乙一居委": "乙街道"}
    # 乙中学 left the profile but stays: teachers and history refer to it.
    assert schools == {
        "甲小学": ("甲街道", True),
        "乙中学": ("乙街道", False),
        "丙小学": ("丙街道", False),
    }
    assert [p.source for p in stored] == ["small.yaml", "changed.yaml"]
    assert stored[0].digest != stored[1].digest

    # Going back to the first text is a change again: the newest stored profile is what counts.
    assert sync(SMALL) is True
    assert len(registry_rows()[3]) == 3


def test_sync_writes_nothing_until_the_caller_commits(db: Path) -> None:
    with pytest.raises(RuntimeError):
        with session_scope() as session:
            sync_registry(session, profile=parse_profile(SMALL), text=SMALL, source="small.yaml")
            raise RuntimeError("the step after the sync failed")

    streets, communities, schools, stored = registry_rows()
    assert (streets, communities, schools, stored) == ([], {}, {}, [])


def test_active_profile_is_the_bundled_one_when_none_is_stored(db: Path) -> None:
    with session_scope() as session:
        profile = active_profile(session)
    assert profile == load_profile()[0]
    assert [s.name for s in profile.streets if s.pilot] == [
        "嘉兴路街道",
        "洛阳路街道",
        "海伦路街道",
    ]


def test_active_profile_is_the_newest_stored_one(db: Path) -> None:
    sync(SMALL)
    with session_scope() as session:
        assert active_profile(session) == parse_profile(SMALL)

    sync(CHANGED, source="changed.yaml")
    with session_scope() as session:
        profile = active_profile(session)
    assert profile == parse_profile(CHANGED)
    assert profile.secondment_quotas() == {"甲街道": 3, "乙街道": 2}


def test_init_registry_loads_a_file_or_the_bundled_profile(db: Path, tmp_path: Path) -> None:
    bundled, changed = init_registry(None)
    assert changed is True
    assert bundled == load_profile()[0]
    assert init_registry(None) == (bundled, False)

    path = tmp_path / "small.yaml"
    path.write_text(SMALL, encoding="utf-8")
    profile, changed = init_registry(path)
    assert changed is True
    assert profile.district == "小区"
    streets, _, _, stored = registry_rows()
    assert [p.source for p in stored] == ["bundled", str(path)]
    assert stored[0].text == default_profile_text()
    # Streets of the bundled profile stay (teachers and history may refer to them).
    assert {"甲街道", "乙街道", "嘉兴路街道"} <= {name for name, _, _ in streets}


def test_init_registry_with_a_bad_file_stores_nothing(db: Path, tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(SMALL.replace("street: 乙街道", "street: 丁街道"), encoding="utf-8")

    with pytest.raises(ProfileError, match="第10行"):
        init_registry(path)

    assert registry_rows() == ([], {}, {}, [])
