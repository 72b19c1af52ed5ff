"""Load the district profile into the database registry (R2-R6) and read it back."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from sqlmodel import Session, col, select

from models.db import session_scope
from models.profile.loading import load_profile, parse_profile, profile_digest
from models.profile.schema import DistrictProfile
from models.registry import Community, School, StoredProfile, Street


def sync_registry(session: Session, *, profile: DistrictProfile, text: str, source: str) -> bool:
    """Store the profile and upsert its streets, communities and schools; True if it changed.

    Streets and schools that left the profile are kept (teachers and history refer to them).
    """
    digest = profile_digest(text)
    latest = session.exec(select(StoredProfile).order_by(col(StoredProfile.id).desc())).first()
    if latest is not None and latest.digest == digest:
        return False
    session.add(StoredProfile(source=source, digest=digest, text=text))
    for position, street in enumerate(profile.streets):
        session.merge(Street(name=street.name, pilot=street.pilot, position=position))
    session.flush()
    for street in profile.streets:
        for community in street.communities:
            session.merge(Community(name=community, street=street.name))
    for school in profile.schools:
        session.merge(School(name=school.name, street=school.street, pilot=school.pilot))
    return True


def init_registry(
    profile_path: Path | None = None, *, warnings: list[str] | None = None
) -> tuple[DistrictProfile, bool]:
    """Load a profile file (default: bundled) into the database; return it and if it changed."""
    profile, text = load_profile(profile_path, warnings=warnings)
    with session_scope() as session:
        changed = sync_registry(
            session, profile=profile, text=text, source=str(profile_path or "bundled")
        )
    return profile, changed


def active_profile(session: Session) -> DistrictProfile:
    """The profile in force: the last one stored by `init`, else the bundled default."""
    latest = session.exec(select(StoredProfile).order_by(col(StoredProfile.id).desc())).first()
    if latest is None:
        return _parsed(None, "bundled")
    return _parsed(latest.text, latest.source)


def profile_in_force() -> DistrictProfile:
    """`active_profile` in a session of its own."""
    with session_scope() as session:
        return active_profile(session)


@lru_cache(maxsize=8)
def _parsed(text: str | None, source: str) -> DistrictProfile:
    """Parse each stored profile text once per process (the model is frozen, so it is shared)."""
    if text is None:
        return load_profile(None)[0]
    return parse_profile(text, source)
