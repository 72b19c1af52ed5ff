"""Every kind of input file, registered here by name (templates and tests look them up).

Kinds whose columns come from the profile (nominations, scores, ideas, idea scores) are registered
with the bundled defaults; an import builds its kind from the policy in force.
"""

from __future__ import annotations

from models.profile.ideas import IdeasPolicy
from models.profile.schema import AwardsPolicy
from models.refusal import Refusal
from tasks.importing.attendance import ATTENDANCE
from tasks.importing.awards import nominations_kind, scores_kind
from tasks.importing.columns import Kind
from tasks.importing.community_schools import COMMUNITY_SCHOOLS
from tasks.importing.holidays import HOLIDAYS
from tasks.importing.ideas import idea_scores_kind, ideas_kind
from tasks.importing.judges import JUDGES
from tasks.importing.network import BASES, TEAM
from tasks.importing.playgrounds import PLAYGROUNDS
from tasks.importing.pledges import PLEDGES
from tasks.importing.teachers import TEACHERS
from tasks.importing.volunteers import VOLUNTEERS

KINDS: dict[str, Kind] = {
    kind.name: kind
    for kind in (
        TEACHERS,
        ATTENDANCE,
        nominations_kind(AwardsPolicy()),
        scores_kind(AwardsPolicy()),
        COMMUNITY_SCHOOLS,
        HOLIDAYS,
        ideas_kind(IdeasPolicy()),
        idea_scores_kind(IdeasPolicy()),
        BASES,
        TEAM,
        PLAYGROUNDS,
        PLEDGES,
        VOLUNTEERS,
        JUDGES,
    )
}


def get_kind(kind: str) -> Kind:
    """The registered kind of that name; a `Refusal` listing the known kinds otherwise."""
    try:
        return KINDS[kind]
    except KeyError:
        raise Refusal(f"没有“{kind}”这种模板：可用的种类为 {'、'.join(sorted(KINDS))}") from None
