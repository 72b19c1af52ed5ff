"""Idea reviewers score on the portal the way award judges do (the `ideas` process).

Reviewers come from the profile's ideas policy and from `import judges` (role 评审); a round
of process `ideas` gives every reviewer one link to their representatives only, never one of
their own community, street or unit, with the title and text masked; a score outside the
rubric is refused in Chinese naming the criterion; submitted scores are the `IdeaScore` rows
`import idea-scores` writes, and the review ranks both the same; conflicts, reassignment,
progress and the deadline work on the ideas round without touching the awards'.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlmodel import col, select

from deployments.portal.app import create_app
from models.db import session_scope
from models.ideas import Idea, IdeaScore
from models.judging import JudgeAssignment, JudgingRound
from models.outbox import OutboxMessage
from models.profile.schema import DistrictProfile
from tasks.audit.records import audit_year
from tasks.common.district import active_profile
from tasks.ideas import intake, records, review
from tasks.ideas.campaign import open_campaign
from tasks.ideas.clusters import edit_cluster, year_clusters
from tasks.ideas.screening import Submission
from tasks.importing.ideas import read_idea_scores
from tasks.importing.judges import import_judges_file
from tasks.judging import conflicts, progress
from tasks.judging.ideas import Ideas
from tasks.judging.records import PROCESSES, JudgingError, open_round
from tasks.samples.ideas import generate_ideas
from tests.tasks.test_judging import HEADERS, hidden, write_csv

YEAR = 2026
TODAY = date(2026, 10, 8)
DEADLINE = date(2026, 10, 20)
NOW = datetime(2026, 10, 9, 2, 0, tzinfo=UTC)
PHONE, ID_NUMBER = "13987654321", "110101199003074514"
CRITERIA = ("feasibility", "sustainability", "reach", "social_benefit", "innovation")
REVIEWERS = [
    # a profile reviewer (嘉兴一居委) imported with their street and unit
    ["PS01", "社区教育专家甲", "区社区学院", "嘉兴路街道", "评审", "13800138011"],
    ["PS02", "周丽", "区图书馆", "洛阳路街道", "评审", ""],  # only imported
    ["PW01", "李明", "区文明办", "海伦路街道", "评委", ""],  # an award judge
]


def seed_ideas(profile: DistrictProfile, *, year: int, now: datetime, count: int = 24) -> None:
    """A campaign with COUNT screened ideas, the first with a phone and an ID number in it."""
    open_campaign(year=year, start=now.date())
    communities = [c for s in profile.streets for c in s.communities]
    samples = generate_ideas(
        count=count, communities=communities, year=year, seed=9, duplicate_share=0.3
    )
    ids = []
    for n, s in enumerate(samples):
        title, content = s.title, s.content
        if n == 0:  # personal data typed into the idea itself
            title = f"{title}（电话{PHONE}）"
            content = f"{content}请打{PHONE}联系我，身份证{ID_NUMBER}。"
        submission = Submission(
            submitter=s.submitter,
            phone=s.phone,
            community=s.community,
            title=title,
            content=content,
            ref=s.ref,
        )
        ack = intake.submit(year=year, submission=submission, source="demo", now=now)
        ids.append(ack.id)
    records.screen_ids(ids=ids, now=now)


@pytest.fixture
def reviewing(registry: DistrictProfile, tmp_path: Path) -> DistrictProfile:
    seed_ideas(registry, year=YEAR, now=datetime(2026, 9, 5, 2, 0, tzinfo=UTC))
    import_judges_file(write_csv(tmp_path / "评审.csv", REVIEWERS, HEADERS))
    outcome = open_round(year=YEAR, deadline=DEADLINE, today=TODAY, now=NOW, process="ideas")
    assert outcome["opened"] is True and outcome["process"] == "ideas"
    return registry


@pytest.fixture
def clock() -> list[datetime]:
    return [NOW]


@pytest.fixture
def client(reviewing: DistrictProfile, clock: list[datetime]) -> Iterator[TestClient]:
    with TestClient(create_app(clock=lambda: clock[0])) as test_client:
        yield test_client


def tokens() -> dict[str, str]:
    """Each reviewer's latest link token, from the messages that told them."""
    found: dict[str, str] = {}
    with session_scope() as session:
        messages = select(OutboxMessage).where(OutboxMessage.flow == "judging")
        for m in session.exec(messages.order_by(col(OutboxMessage.id))):
            match = re.search(r"/r/([A-Za-z0-9_-]{43})", m.body)
            if match and m.kind.startswith("ideas-"):
                found[m.audience.removeprefix("judge-")] = match.group(1)
    return found


def assignments(status: str = "assigned") -> list[JudgeAssignment]:
    with session_scope() as session:
        rows = session.exec(
            select(JudgeAssignment).where(
                JudgeAssignment.process == "ideas", JudgeAssignment.status == status
            )
        )
        return list(rows.all())


def reviewer_keys(profile: DistrictProfile) -> dict[str, tuple[str, frozenset[str]]]:
    """code -> (name, conflict keys), worked out from the profile and the file imported."""
    found = {
        r.name: (r.name, frozenset({f"community:{r.community}"} if r.community else set()))
        for r in profile.ideas.reviewers
    }
    community = {r.name: r.community for r in profile.ideas.reviewers}
    for code, name, unit, street, role, _ in REVIEWERS:
        if role != "评审":
            continue
        found.pop(name, None)
        keys = {f"street:{street}", f"unit:{unit}"}
        if community.get(name):
            keys.add(f"community:{community[name]}")
        found[code] = (name, frozenset(keys))
    return found


def item_keys(profile: DistrictProfile) -> dict[str, frozenset[str]]:
    """Representative -> the communities and streets of every idea of its cluster."""
    street = {c: s.name for s in profile.streets for c in s.communities}
    with session_scope() as session:
        community = dict(session.exec(select(Idea.ref, Idea.community)).all())
    return {
        members[0]: frozenset(
            {f"community:{community[m]}" for m in members}
            | {f"street:{street[community[m]]}" for m in members}
        )
        for members in year_clusters(YEAR)
    }


def score_all(client: TestClient, value: int = 0) -> None:
    for n, (code, token) in enumerate(sorted(tokens().items())):
        csrf = hidden(client.get(f"/j/{token}").text, "csrf")
        for i, ref in enumerate(sorted(a.ref for a in assignments() if a.judge == code)):
            values = {
                c: f"{40 + (13 * n + 7 * i + 5 * k + value) % 60}.5" for k, c in enumerate(CRITERIA)
            }
            reply = client.post(
                f"/j/{token}/score", data={"csrf": csrf, "ref": ref, "action": "submit", **values}
            )
            assert reply.status_code == 200, reply.text


# --------------------------------------------------------------------------- the round


def test_every_reviewer_gets_one_link_and_never_an_idea_of_their_community_or_street(
    reviewing: DistrictProfile,
) -> None:
    judges, keys = reviewer_keys(reviewing), item_keys(reviewing)
    rows = assignments()
    assert {a.ref for a in rows} == set(keys)  # every representative, nothing else
    for a in rows:
        assert not judges[a.judge][1] & keys[a.ref], (a.ref, a.judge)
    per_item = Counter(a.ref for a in rows)
    assert set(per_item.values()) == {reviewing.ideas.reviewers_per_idea}
    holders = {a.judge for a in rows}
    assert set(tokens()) == holders <= set(judges)
    assert "PW01" not in holders and "社区教育专家甲" not in holders  # imported as PS01
    # the same pairs the review ranks and `import idea-scores` accepts
    setup = review.prepare_review(year=YEAR, seed=reviewing.ideas.seed)
    assert {(a.ref, judges[a.judge][0]) for a in rows} == set(setup.plan.pairs)

    again = open_round(year=YEAR, deadline=DEADLINE, today=TODAY, process="ideas")
    assert again["opened"] is False
    with pytest.raises(JudgingError):
        progress.progress(YEAR, today=TODAY)  # the awards have no round: untouched
    assert audit_year(YEAR).differences == []


def test_a_reviewer_sees_only_their_representatives_masked(client: TestClient) -> None:
    rows = assignments()
    first = min(a.ref for a in rows)  # the idea with a phone and an ID number in it
    code = next(a.judge for a in rows if a.ref == first)
    token = tokens()[code]
    page = client.get(f"/j/{token}")
    assert page.status_code == 200
    text = page.text
    assert set(re.findall(r'id="item-([^"]+)"', text)) == {a.ref for a in rows if a.judge == code}
    assert PHONE not in text and ID_NUMBER not in text
    assert "139****4321" in text and "110101********4514" in text
    with session_scope() as session:
        idea = session.exec(select(Idea).where(Idea.ref == first)).one()
    assert idea.community in text and idea.phone not in text and idea.submitter not in text
    for label in ("可行性", "可持续性", "受益面", "社会效益", "创新性"):
        assert label in text
    assert "0至100分" in text and "2026年10月20日" in text and "建议共" in text
    assert "script-src 'none'" in page.headers["content-security-policy"]


def test_a_score_outside_the_rubric_is_refused_in_chinese_naming_the_field(
    client: TestClient,
) -> None:
    code, token = sorted(tokens().items())[0]
    ref = sorted(a.ref for a in assignments() if a.judge == code)[0]
    csrf = hidden(client.get(f"/j/{token}").text, "csrf")
    wrong = {"csrf": csrf, "ref": ref, "action": "submit", "feasibility": "101",
             "sustainability": "八十", "reach": "80", "social_benefit": "80"}  # fmt: skip
    refused = client.post(f"/j/{token}/score", data=wrong)
    assert refused.status_code == 422
    assert "「可行性」须在0至100分之间" in refused.text
    assert "「可持续性」须填数字" in refused.text and "「创新性」未填写" in refused.text
    with session_scope() as session:
        assert session.exec(select(IdeaScore)).all() == []
    other = next(a.ref for a in assignments() if a.judge != code and a.ref not in
                 {b.ref for b in assignments() if b.judge == code})  # fmt: skip
    good = dict.fromkeys(CRITERIA, "80")
    stranger = client.post(
        f"/j/{token}/score", data={"csrf": csrf, "ref": other, "action": "submit", **good}
    )
    assert stranger.status_code == 404


def test_web_scores_are_the_imported_rows_and_rank_the_same(
    client: TestClient, reviewing: DistrictProfile, tmp_path: Path
) -> None:
    score_all(client)
    setup = review.prepare_review(year=YEAR, seed=reviewing.ideas.seed)
    web = review.propose_ranking(setup=setup)
    with session_scope() as session:
        rows = session.exec(select(IdeaScore)).all()
        stored = {(r.ref, r.reviewer): (dict(r.scores), r.total) for r in rows}
        lines = [[r.ref, r.reviewer, *(f"{r.scores[c]:g}" for c in CRITERIA)] for r in rows]
        for r in rows:
            session.delete(r)
    assert len(stored) == len(assignments()) and web.ranked
    path = write_csv(tmp_path / "评审评分.csv", lines, ["编号", "评审", *CRITERIA])
    review.record_scores(
        year=YEAR, setup=setup, rows=read_idea_scores(path, policy=reviewing.ideas)
    )
    with session_scope() as session:
        imported = {
            (r.ref, r.reviewer): (dict(r.scores), r.total)
            for r in session.exec(select(IdeaScore)).all()
        }
    assert imported == stored
    assert review.propose_ranking(setup=setup) == web


# --------------------------------------------------------------------------- conflicts, progress


def test_a_conflict_reassigns_within_recusal_and_progress_is_per_process(
    client: TestClient, reviewing: DistrictProfile, clock: list[datetime]
) -> None:
    judges, keys = reviewer_keys(reviewing), item_keys(reviewing)
    code, token = sorted(tokens().items())[0]
    ref = sorted(a.ref for a in assignments() if a.judge == code)[0]
    csrf = hidden(client.get(f"/j/{token}").text, "csrf")
    reply = client.post(
        f"/j/{token}/conflict", data={"csrf": csrf, "ref": ref, "reason": "建议人是本人亲属"}
    )
    assert reply.status_code == 200 and "已改由其他评审评审" in reply.text
    assert f'id="item-{ref}"' not in reply.text
    with session_scope() as session:
        limit = session.exec(select(JudgingRound)).one().load_limit
        moved = session.exec(
            select(OutboxMessage).where(OutboxMessage.kind == f"ideas-reassigned-{ref}")
        ).all()
    active = assignments()
    holders = [a.judge for a in active if a.ref == ref]
    assert code not in holders and len(holders) == reviewing.ideas.reviewers_per_idea
    assert all(not judges[a.judge][1] & keys[a.ref] for a in active)
    assert max(Counter(a.judge for a in active).values()) <= limit
    assert len(moved) == 1 and "金点子评选" in moved[0].title and "/r/" in moved[0].body
    assert conflicts.declared_pairs(YEAR, "ideas")[0]["reason"] == "建议人是本人亲属"
    assert conflicts.declared_pairs(YEAR) == []  # the awards' list

    shown = progress.progress(YEAR, today=TODAY, process="ideas")
    assert sum(row["conflicts"] for row in shown["judges"]) == 1
    assert sum(row["assigned"] for row in shown["judges"]) == len(active)
    assert len(shown["short"]) == len(keys)  # nobody scored yet
    assert {row["name"] for row in shown["categories"]} <= set(
        reviewing.ideas.category_labels.values()
    )
    reminded = progress.stage_reminders(
        year=YEAR, today=date(2026, 10, 15), now=NOW, process="ideas"
    )
    assert len(reminded) == len({a.judge for a in active})

    score_all(client)
    assert progress.progress(YEAR, today=TODAY, process="ideas")["short"] == []
    # the import takes the portal's changes: no score of the reviewer who declared, the taker's
    setup = review.prepare_review(year=YEAR, seed=reviewing.ideas.seed)
    row = {"ref": ref, "reviewer": judges[code][0], **dict.fromkeys(CRITERIA, 80.0)}
    with pytest.raises(ValueError, match="已申报与"):
        review.record_scores(year=YEAR, setup=setup, rows=[row])
    taker = next(h for h in holders if (ref, judges[h][0]) not in setup.plan.pairs)
    taken = {**row, "reviewer": judges[taker][0]}
    assert review.record_scores(year=YEAR, setup=setup, rows=[taken]) == 1
    closed = progress.close_at_deadline(year=YEAR, today=date(2026, 10, 21), process="ideas")
    assert closed == {"year": YEAR, "status": "due", "flagged": []}
    assert progress.round_status(YEAR, "ideas") == "due"
    assert progress.round_status(YEAR) is None
    assert audit_year(YEAR).differences == []


def test_the_clusters_a_page_reads_follow_the_clerks_edits(reviewing: DistrictProfile) -> None:
    process = PROCESSES["ideas"]
    assert isinstance(process, Ideas)
    with session_scope() as session:
        profile = active_profile(session)
        before = process.clusters(session, profile, YEAR)
        assert process.clusters(session, profile, YEAR) is before  # read once, kept
    merged = before[1][0]
    edit_cluster(
        year=YEAR,
        action="merge",
        ref=merged,
        target=before[0][0],
        reason="同一建议",
        operator="李经办",
    )
    with session_scope() as session:
        after = process.clusters(session, active_profile(session), YEAR)
    assert after == year_clusters(YEAR) != before
    assert any(merged in members and members[0] != merged for members in after)
