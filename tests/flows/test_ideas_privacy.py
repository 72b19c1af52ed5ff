"""No submitter's phone or ID number leaks into the campaign's logs, artifacts or messages."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from prefect.client.orchestration import get_client
from prefect.client.schemas.filters import LogFilter, LogFilterFlowRunId
from sqlmodel import select

from flows.golden_ideas import review_ideas, sweep_ideas
from models.db import session_scope
from models.ideas import Idea
from models.outbox import OutboxMessage
from models.params.ideas import ReviewParameters
from models.profile.schema import DistrictProfile
from tasks.ideas import campaign, intake
from tasks.ideas.screening import Submission
from tasks.samples.ideas import generate_ideas
from tests.hardening import Ledger

pytestmark = pytest.mark.usefixtures("prefect_harness")
YEAR = 2026
ID_NUMBER = "310105198003154417"


def stored_ideas() -> list[Idea]:
    with session_scope() as session:
        return list(session.exec(select(Idea)).all())


def test_no_pii_in_logs_artifacts_or_messages(
    registry: DistrictProfile, db: Path, hardening: Ledger
) -> None:
    campaign.open_campaign(year=YEAR, start=date(2026, 9, 1))
    now = datetime(2026, 9, 5, 2, 0, tzinfo=UTC)
    communities = [c for s in registry.streets for c in s.communities]
    phones = set()
    for s in generate_ideas(count=40, communities=communities, year=YEAR, seed=17):
        phones.add(s.phone)
        # residents write their numbers into the text too
        content = f"{s.content}。联系我：{s.phone}，身份证{ID_NUMBER}"
        intake.submit(
            year=YEAR,
            submission=Submission(
                submitter=s.submitter,
                phone=s.phone,
                community=s.community,
                title=s.title,
                content=content,
            ),
            source="http",
            now=now,
        )
    asyncio.run(sweep_ideas(after_minutes=1, now=now + timedelta(hours=1)))
    state = asyncio.run(
        review_ideas(
            ReviewParameters(
                year=YEAR, approval="auto", generate_scores=True, today=date(2026, 10, 20)
            ),
            return_state=True,
        )
    )
    assert state.is_completed()

    seen: list[str] = []
    with get_client(sync_client=True) as client:
        logs = client.read_logs(
            log_filter=LogFilter(
                flow_run_id=LogFilterFlowRunId(any_=[state.state_details.flow_run_id])
            ),
            limit=200,
        )
        seen += [log.message for log in logs]
        for artifact in client.read_artifacts():
            data = artifact.data
            if isinstance(data, str) and data[:1] in "[{":
                data = json.loads(data)  # table artifacts arrive as JSON text
            seen.append(json.dumps(data, ensure_ascii=False))
    with session_scope() as session:
        messages = session.exec(select(OutboxMessage)).all()
    # a message to the submitter themself may carry their own text; nobody else's may
    others = [m for m in messages if not m.audience.startswith("idea-submitter-")]
    seen += [m.title + m.body for m in others]
    seen += [m.title + m.body for m in messages]  # submitters' own messages are masked too

    titles = {i.title for i in stored_ideas()}
    assert len(seen) > 20 and any(t in text for t in titles for text in seen)  # ideas were shown
    leaks = [p for p in phones for text in seen if p in text]
    leaks += [ID_NUMBER for text in seen if ID_NUMBER in text]
    hardening.leaks(
        "ideas campaign: logs, artifacts, messages", scanned=len(seen), found=len(leaks)
    )
    assert leaks == []
