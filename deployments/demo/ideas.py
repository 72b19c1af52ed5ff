"""The golden-idea part of the demo: a campaign with generated submissions, end to end (R7.3)."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime, timedelta

from rich.console import Console

from models.params.ideas import ReviewParameters
from tasks.common.district import active_profile
from tasks.ideas import intake
from tasks.ideas.campaign import open_campaign
from tasks.ideas.clusters import year_clusters
from tasks.ideas.screening import Submission
from tasks.samples.ideas import generate_ideas

DEMO_SEED = 2026
DEMO_IDEAS = 2000


def run_ideas_demo(*, year: int, console: Console) -> None:
    """Open + announce, intake of generated ideas (planted near-duplicates), the sweeper,
    clustering, review with generated scores, automatic sign-off, publication to everyone."""
    from flows.golden_ideas import review_ideas, sweep_ideas
    from models.db import session_scope

    with session_scope() as session:
        profile = active_profile(session)
    communities = [c for s in profile.streets for c in s.communities]
    start = date(year, 9, 1)
    open_campaign(year=year, start=start, seed=DEMO_SEED)
    now = datetime(year, 9, 20, 2, 0, tzinfo=UTC)
    samples = generate_ideas(
        count=DEMO_IDEAS, communities=communities, year=year, seed=DEMO_SEED, duplicate_share=0.25
    )
    received = 0
    for s in samples:
        ack = intake.submit(
            year=year,
            submission=Submission(
                submitter=s.submitter,
                phone=s.phone,
                community=s.community,
                title=s.title,
                content=s.content,
                ref=s.ref,
            ),
            source="demo",
            now=now,
            submitted_at=s.submitted_at,
        )
        received += not ack.duplicate
    # no task worker in the demo: the sweeper screens what the queue would have
    screened = asyncio.run(sweep_ideas(after_minutes=1, now=now + timedelta(hours=1)))
    clusters = year_clusters(year)
    grouped = [c for c in clusters if len(c) > 1]
    console.print(
        f"金点子 {year}: {received} received, {screened} screened now, {len(clusters)} clusters "
        f"({len(grouped)} with near-duplicates, {sum(map(len, grouped))} ideas in them)"
    )
    params = ReviewParameters(
        year=year, approval="auto", generate_scores=True, today=date(year, 10, 20)
    )
    result = asyncio.run(review_ideas(params))
    for item in result.selected[:10]:
        console.print(f"  {item.rank:>2} {item.tier} {item.ref} (同组 {len(item.members)} 条)")
    console.print(f"  … {len(result.selected)} selected, every submitter told")
