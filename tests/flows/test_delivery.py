"""The deliver-outbox flow, run on a Prefect test server."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from flows.delivery import deliver_outbox
from models.db import session_scope
from models.outbox import OutboxMessage
from tasks.notify.staging import stage_message


@pytest.mark.prefect
def test_flow_delivers_to_the_local_outbox_and_reports(prefect_harness: None, db: Path) -> None:
    with session_scope() as session:
        message = stage_message(
            session,
            flow="secondment",
            year=2026,
            kind="selected",
            recipient="S001",
            audience="street-a",
            title="挂职通知",
            body="您已入选。",
        )
        assert message is not None
        message_id = message.id

    result = deliver_outbox(message_ids=[message_id])
    again = deliver_outbox()

    assert result["messages_delivered"] == 1 and result["sends_ok"] == 1
    assert result["failures"] == []
    assert again["sends_ok"] == 0
    lines = (db / "outbox.jsonl").read_text(encoding="utf-8").splitlines()
    assert [json.loads(line)["title"] for line in lines] == ["挂职通知"]
    with session_scope() as session:
        stored = session.get(OutboxMessage, message_id)
        assert stored is not None and stored.status == "delivered"
