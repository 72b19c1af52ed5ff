"""Outbox staging and delivery: unit tests with the recording fake, edge tests over real
HTTP (Apprise json://) and SMTP (Apprise mailto:// to a local aiosmtpd server)."""

from __future__ import annotations

import email
import json
import socket
import threading
from collections.abc import Iterator
from email.header import decode_header, make_header
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from sqlmodel import select

from models.db import session_scope
from models.outbox import Delivery, DeliveryAttempt, OutboxMessage
from tasks.notify.adapter import AppriseNotifier, get_notifier
from tasks.notify.delivery import deliver_pending
from tasks.notify.protocol import (
    NotifierConfigError,
    RecordingNotifier,
    resolve_targets,
)
from tasks.notify.staging import message_key, stage_message
from tests.models.test_db import pg_db, pg_server, pg_url  # noqa: F401 (fixtures)
from tests.sinks import HttpSink

# --------------------------------------------------------------------------- sinks


class SmtpSink:
    """A local SMTP server (aiosmtpd, no TLS, no auth); `start()` may come later than creation."""

    def __init__(self) -> None:
        self.messages: list[email.message.Message] = []
        self.port = free_port()
        self.controller: Controller | None = None

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append(email.message_from_bytes(envelope.original_content))
        return "250 OK"

    def start(self) -> None:
        self.controller = Controller(self, hostname="127.0.0.1", port=self.port)
        self.controller.start()

    def subjects(self) -> list[str]:
        return [str(make_header(decode_header(m["Subject"]))) for m in self.messages]

    def close(self) -> None:
        if self.controller is not None:
            self.controller.stop()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@pytest.fixture
def http_sink() -> Iterator[HttpSink]:
    sink = HttpSink()
    yield sink
    sink.close()


@pytest.fixture
def smtp_sink() -> Iterator[SmtpSink]:
    sink = SmtpSink()
    yield sink
    sink.close()


def write_config(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def two_sink_config(tmp_path: Path, http: HttpSink, smtp: SmtpSink) -> Path:
    """HTTP and SMTP targets serving `street-a`; the HTTP token is a secret from the env."""
    return write_config(
        tmp_path / "apprise.yml",
        f"""\
version: 1
template:
  - sink_token
urls:
  - json://127.0.0.1:{http.port}/hook/${{sink_token}}:
      tag: http-sink, street-a
  - mailto://127.0.0.1:{smtp.port}:
      from: noreply@example.com
      to: clerk@example.com
      tag: smtp-sink, street-a
""",
    )


def stage(audience: str = "street-a", recipient: str = "S001", **overrides: Any) -> int:
    """Stage one message in its own transaction and return its id."""
    fields: dict[str, Any] = {
        "flow": "secondment",
        "year": 2026,
        "kind": "selected",
        "recipient": recipient,
        "audience": audience,
        "title": "挂职通知",
        "body": "张老师：您已入选 2026 年度挂职。",
    }
    fields.update(overrides)
    with session_scope() as session:
        message = stage_message(session, **fields)
        assert message is not None and message.id is not None
        return message.id


def message_status(message_id: int) -> str:
    with session_scope() as session:
        message = session.get(OutboxMessage, message_id)
        assert message is not None
        return message.status


def deliveries(message_id: int) -> dict[str, Delivery]:
    with session_scope() as session:
        rows = session.exec(select(Delivery).where(Delivery.message_id == message_id)).all()
        return {row.target: row for row in rows}


# --------------------------------------------------------------------------- staging


def test_message_key_joins_flow_year_kind_recipient() -> None:
    key = message_key(flow="secondment", year=2026, kind="selected", recipient="S001")
    assert key == "secondment:2026:selected:S001"


def test_staging_the_same_key_twice_adds_one_row(db: Path) -> None:
    first = stage()
    with session_scope() as session:
        again = stage_message(
            session,
            flow="secondment",
            year=2026,
            kind="selected",
            recipient="S001",
            audience="street-a",
            title="other title",
            body="other body",
        )
        assert again is None
    with session_scope() as session:
        rows = session.exec(select(OutboxMessage)).all()
    assert [row.id for row in rows] == [first]
    assert rows[0].key == "secondment:2026:selected:S001"
    assert rows[0].status == "pending"


def test_staged_message_rolls_back_with_the_decision(db: Path) -> None:
    with pytest.raises(RuntimeError), session_scope() as session:
        stage_message(
            session,
            flow="secondment",
            year=2026,
            kind="selected",
            recipient="S001",
            audience="street-a",
            title="t",
            body="b",
        )
        raise RuntimeError("the decision failed")
    with session_scope() as session:
        assert session.exec(select(OutboxMessage)).all() == []


def test_audience_with_colon_is_refused(db: Path, tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="retry count"), session_scope() as session:
        stage_message(
            session,
            flow="secondment",
            year=2026,
            kind="selected",
            recipient="S001",
            audience="street:2",
            title="t",
            body="b",
        )
    notifier = AppriseNotifier()
    with pytest.raises(ValueError, match="street-2"):
        notifier.targets("street:2")
    with pytest.raises(ValueError):
        RecordingNotifier({"a": ["street-2"]}).targets("street:2")
    with pytest.raises(ValueError, match="reserved"):
        notifier.targets("all")


# --------------------------------------------------------------------------- delivery, fake edge


def test_fallback_targets_serve_an_audience_nobody_serves(db: Path) -> None:
    notifier = RecordingNotifier({"office": ["fallback"], "street-a-group": ["street-a"]})
    served, orphan = stage("street-a", "S001"), stage("school-x", "S002")

    report = deliver_pending(notifier=notifier)

    # Two targets are sent to concurrently: the order between them is not fixed.
    assert sorted((s.target, s.title) for s in notifier.sent) == [
        ("office", "挂职通知"),
        ("street-a-group", "挂职通知"),
    ]
    assert report.messages_delivered == 2 and report.sends_ok == 2
    assert list(deliveries(served)) == ["street-a-group"]
    assert list(deliveries(orphan)) == ["office"]


def test_failed_target_is_retried_until_max_attempts(db: Path) -> None:
    notifier = RecordingNotifier({"a": ["street-a"], "b": ["street-a"]}, failures={"b": 5})
    message_id = stage()

    first = deliver_pending(notifier=notifier, max_attempts=2)
    second = deliver_pending(notifier=notifier, max_attempts=2)
    third = deliver_pending(notifier=notifier, max_attempts=2)

    assert [s.target for s in notifier.sent] == ["a"]
    assert (first.sends_ok, first.sends_failed, first.messages_failed) == (1, 1, 1)
    assert (second.sends_ok, second.sends_failed) == (0, 1)
    assert (third.sends_failed, third.sends_skipped, third.messages_failed) == (0, 1, 1)
    rows = deliveries(message_id)
    assert (rows["a"].status, rows["a"].attempts) == ("delivered", 1)
    assert (rows["b"].status, rows["b"].attempts) == ("failed", 2)
    assert rows["b"].last_error == "b: failing as told"
    assert message_status(message_id) == "failed"


class GatedNotifier(RecordingNotifier):
    """Counts sends in flight (overall and per target); the first `together` sends must all be
    in flight at once or the barrier breaks (which fails the send, and the test)."""

    def __init__(self, routes: dict[str, list[str]], *, together: int) -> None:
        super().__init__(routes)
        self._lock = threading.Lock()
        self._barrier = threading.Barrier(together, timeout=20)
        self._started = 0
        self.in_flight: dict[str, int] = {}
        self.most_in_flight = 0
        self.overlap_on_one_target = False

    def send(self, target: str, *, title: str, body: str, body_format: str, **extra: Any) -> None:
        with self._lock:
            self._started += 1
            wait = self._started <= self._barrier.parties
            self.in_flight[target] = self.in_flight.get(target, 0) + 1
            self.overlap_on_one_target |= self.in_flight[target] > 1
            self.most_in_flight = max(self.most_in_flight, sum(self.in_flight.values()))
        try:
            if wait:
                self._barrier.wait()
            super().send(target, title=title, body=body, body_format=body_format, **extra)
        finally:
            with self._lock:
                self.in_flight[target] -= 1


def test_targets_are_served_concurrently_each_target_in_message_order(db: Path) -> None:
    routes = {f"t{n}": [f"street-{n}"] for n in range(6)}
    notifier = GatedNotifier(routes, together=4)
    staged = [stage(f"street-{i % 6}", f"S{i:03d}", body=f"第{i}条") for i in range(30)]

    report = deliver_pending(notifier=notifier, concurrency=4)

    assert (report.sends_ok, report.messages_delivered) == (30, 30)
    # Four sends were in flight together (the barrier), never more, never two to one target.
    assert notifier.most_in_flight == 4
    assert not notifier.overlap_on_one_target
    for n in range(6):
        bodies = [s.body for s in notifier.sent if s.target == f"t{n}"]
        assert bodies == [f"第{i}条" for i in range(n, 30, 6)]
    assert {message_status(i) for i in staged} == {"delivered"}
    with session_scope() as session:
        assert len(session.exec(select(DeliveryAttempt)).all()) == 30


def test_chunks_are_planned_sent_and_settled_in_turn(
    db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("tasks.notify.delivery.PLAN_CHUNK", 4)
    monkeypatch.setattr("tasks.notify.booking.BOOK_BATCH", 3)
    notifier = RecordingNotifier({"a": ["street-a"], "b": ["street-a"]}, failures={"b": 1})
    staged = [stage(recipient=f"S{i:03d}") for i in range(10)]

    first = deliver_pending(notifier=notifier)
    second = deliver_pending(notifier=notifier)

    assert (first.sends_ok, first.sends_failed) == (19, 1)
    assert (first.messages_delivered, first.messages_failed) == (9, 1)
    assert (second.sends_ok, second.sends_failed, second.messages_delivered) == (1, 0, 1)
    assert {message_status(i) for i in staged} == {"delivered"}
    assert sorted(s.target for s in notifier.sent) == ["a"] * 10 + ["b"] * 10
    with session_scope() as session:
        attempts = session.exec(select(DeliveryAttempt)).all()
    assert len(attempts) == 21 and sum(not a.ok for a in attempts) == 1


class CrashingNotifier(RecordingNotifier):
    """Raises a programming error (not a DeliveryError) for one target."""

    def send(self, target: str, *, title: str, body: str, body_format: str, **extra: Any) -> None:
        if target == "broken":
            raise RuntimeError("plugin bug")
        super().send(target, title=title, body=body, body_format=body_format, **extra)


def test_an_unexpected_error_stops_new_sends_books_the_finished_and_raises(db: Path) -> None:
    notifier = CrashingNotifier({"broken": ["street-b"], "fine": ["street-a"]})
    fine = stage("street-a", "S001")
    broken = [stage("street-b", f"S{i:03d}") for i in range(2, 5)]

    with pytest.raises(RuntimeError, match="plugin bug"):
        deliver_pending(notifier=notifier, concurrency=1)

    # One worker: the fine target's lane ran first and was booked; the broken lane stopped at
    # its first send, and nothing was settled (the next pass does it).
    assert [s.target for s in notifier.sent] == ["fine"]
    assert deliveries(fine)["fine"].status == "delivered"
    assert {deliveries(i)["broken"].attempts for i in broken} == {0}
    assert message_status(fine) == "pending"

    repaired = RecordingNotifier({"fine": ["street-a"], "broken": ["street-b"]})
    again = deliver_pending(notifier=repaired)
    assert (again.messages_delivered, again.sends_ok) == (4, 3)
    assert [s.target for s in repaired.sent] == ["broken"] * 3  # the fine target not again
    assert {message_status(i) for i in [fine, *broken]} == {"delivered"}


def test_concurrency_below_one_is_refused() -> None:
    with pytest.raises(ValueError, match="concurrency"):
        deliver_pending(notifier=RecordingNotifier({}), concurrency=0)


def test_message_ids_limit_the_pass(db: Path) -> None:
    notifier = RecordingNotifier({"a": ["street-a"]})
    first, second = stage(recipient="S001"), stage(recipient="S002")

    report = deliver_pending(notifier=notifier, message_ids=[second])

    assert report.messages_delivered == 1
    assert (message_status(first), message_status(second)) == ("pending", "delivered")


def test_unusable_audience_in_the_table_is_no_target_not_a_blocked_sweep(db: Path) -> None:
    with session_scope() as session:
        session.add(
            OutboxMessage(
                key="k", flow="f", year=2026, kind="k", audience="street:2", title="t", body="b"
            )
        )
    notifier = RecordingNotifier({"office": ["fallback"]})
    ok = stage()

    report = deliver_pending(notifier=notifier)

    assert (report.no_target, report.messages_delivered) == (1, 1)
    assert "retry count" in report.failures[0].error
    assert message_status(ok) == "delivered"


def test_apprise_routes_chinese_audience_tags_case_insensitively(db: Path, tmp_path: Path) -> None:
    config = write_config(
        tmp_path / "apprise.yml",
        """\
urls:
  - ldoutbox://jiaxing:
      tag: street-嘉兴路街道
  - ldoutbox://office:
      tag: R2-Office, fallback
""",
    )
    notifier = AppriseNotifier(config)

    assert notifier.names == ["street-嘉兴路街道", "r2-office"]
    assert notifier.targets("street-嘉兴路街道") == ["street-嘉兴路街道"]
    assert notifier.targets("R2-OFFICE") == ["r2-office"]
    assert notifier.targets("school-x") == []
    assert resolve_targets(notifier, "school-x") == ["r2-office"]


# --------------------------------------------------------------------------- real HTTP and SMTP


def test_delivers_to_http_and_smtp_targets_with_per_target_status(
    db: Path,
    tmp_path: Path,
    http_sink: HttpSink,
    smtp_sink: SmtpSink,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("APPRISE_TEMPLATE_SINK_TOKEN", "s3cret-token")
    smtp_sink.start()
    notifier = AppriseNotifier(two_sink_config(tmp_path, http_sink, smtp_sink))
    assert notifier.names == ["http-sink", "smtp-sink"]
    message_id = stage()

    report = deliver_pending(notifier=notifier)

    assert (report.messages_delivered, report.sends_ok, report.sends_failed) == (1, 2, 0)
    # The secret reached the URL path through the template, from the environment.
    assert [(path, payload["title"]) for path, payload in http_sink.accepted] == [
        ("/hook/s3cret-token", "挂职通知")
    ]
    assert http_sink.accepted[0][1]["message"] == "张老师：您已入选 2026 年度挂职。"
    assert smtp_sink.subjects() == ["挂职通知"]
    rows = deliveries(message_id)
    assert {t: (d.status, d.attempts) for t, d in rows.items()} == {
        "http-sink": ("delivered", 1),
        "smtp-sink": ("delivered", 1),
    }
    with session_scope() as session:
        attempts = session.exec(select(DeliveryAttempt)).all()
        message = session.get(OutboxMessage, message_id)
    assert [a.ok for a in attempts] == [True, True]
    assert message is not None and message.status == "delivered"
    assert message.delivered_at is not None


def test_http_target_down_then_back_gets_the_only_resend(
    db: Path,
    tmp_path: Path,
    http_sink: HttpSink,
    smtp_sink: SmtpSink,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("APPRISE_TEMPLATE_SINK_TOKEN", "s3cret-token")
    smtp_sink.start()
    notifier = AppriseNotifier(two_sink_config(tmp_path, http_sink, smtp_sink))
    message_id = stage()
    http_sink.status = 500

    first = deliver_pending(notifier=notifier)

    assert (first.messages_failed, first.sends_ok, first.sends_failed) == (1, 1, 1)
    assert [f.target for f in first.failures] == ["http-sink"]
    assert "s3cret" not in first.failures[0].error
    assert message_status(message_id) == "failed"
    assert deliveries(message_id)["http-sink"].status == "failed"
    assert deliveries(message_id)["smtp-sink"].status == "delivered"

    http_sink.status = 200
    second = deliver_pending(notifier=notifier)

    assert (second.messages_delivered, second.sends_ok, second.sends_failed) == (1, 1, 0)
    assert message_status(message_id) == "delivered"
    assert len(http_sink.requests) == 2 and len(http_sink.accepted) == 1
    assert len(smtp_sink.messages) == 1
    rows = deliveries(message_id)
    assert (rows["http-sink"].attempts, rows["http-sink"].last_error) == (2, "")
    assert rows["smtp-sink"].attempts == 1


def test_target_that_times_out_after_receiving_gets_a_duplicate_but_one_logical_message(
    db: Path, tmp_path: Path, http_sink: HttpSink
) -> None:
    # The receiver takes the message, then answers after 2 s; the sender stops waiting at its
    # read timeout (rto=0.3 s) and Apprise reports a failure although the message arrived.
    config = write_config(
        tmp_path / "apprise.yml",
        f"""\
urls:
  - json://127.0.0.1:{http_sink.port}/hook?rto=0.3:
      tag: slow-hook, fallback
""",
    )
    notifier = AppriseNotifier(config)
    message_id = stage()
    http_sink.delay = 2.0

    first = deliver_pending(notifier=notifier)

    assert (first.sends_failed, first.messages_failed) == (1, 1)
    assert first.failures[0].error.startswith("slow-hook: JSON failure")
    assert len(http_sink.requests) == 1  # it did arrive
    http_sink.delay = 0.0
    second = deliver_pending(notifier=notifier)

    # The retry delivers it again: the receiver sees it twice, the outbox holds it once.
    assert (second.sends_ok, second.messages_delivered) == (1, 1)
    bodies = [payload["message"] for _, payload in http_sink.accepted]
    assert bodies == ["张老师：您已入选 2026 年度挂职。"] * 2
    with session_scope() as session:
        assert len(session.exec(select(OutboxMessage)).all()) == 1
    assert (deliveries(message_id)["slow-hook"].attempts, message_status(message_id)) == (
        2,
        "delivered",
    )


def test_smtp_target_not_started_then_started_gets_the_only_resend(
    db: Path,
    tmp_path: Path,
    http_sink: HttpSink,
    smtp_sink: SmtpSink,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("APPRISE_TEMPLATE_SINK_TOKEN", "s3cret-token")
    config = two_sink_config(tmp_path, http_sink, smtp_sink)
    message_id = stage()

    # A fresh notifier per pass, as each sweeper run builds one: Apprise throttles an email
    # target to one send per 5.5 s per loaded instance.
    first = deliver_pending(notifier=AppriseNotifier(config))
    smtp_sink.start()
    second = deliver_pending(notifier=AppriseNotifier(config))
    third = deliver_pending(notifier=AppriseNotifier(config))

    assert [f.target for f in first.failures] == ["smtp-sink"]
    assert (second.sends_ok, second.messages_delivered) == (1, 1)
    assert (third.sends_ok, third.sends_failed, third.messages_delivered) == (0, 0, 0)
    assert len(http_sink.accepted) == 1
    assert smtp_sink.subjects() == ["挂职通知"]
    assert message_status(message_id) == "delivered"


def test_missing_secret_fails_the_target_naming_the_variable(
    db: Path,
    tmp_path: Path,
    http_sink: HttpSink,
    smtp_sink: SmtpSink,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("APPRISE_TEMPLATE_SINK_TOKEN", raising=False)
    smtp_sink.start()
    notifier = AppriseNotifier(two_sink_config(tmp_path, http_sink, smtp_sink))
    message_id = stage()

    first = deliver_pending(notifier=notifier)

    assert [f.target for f in first.failures] == ["http-sink"]
    assert "APPRISE_TEMPLATE_SINK_TOKEN" in first.failures[0].error
    assert http_sink.requests == []

    monkeypatch.setenv("APPRISE_TEMPLATE_SINK_TOKEN", "late-token")
    second = deliver_pending(notifier=notifier)

    assert second.messages_delivered == 1
    assert [path for path, _ in http_sink.accepted] == ["/hook/late-token"]
    assert len(smtp_sink.messages) == 1
    assert message_status(message_id) == "delivered"


def test_message_without_target_gets_no_target_status(
    db: Path, tmp_path: Path, http_sink: HttpSink
) -> None:
    config = write_config(
        tmp_path / "apprise.yml",
        f"""\
urls:
  - json://127.0.0.1:{http_sink.port}/:
      tag: street-a
""",
    )
    message_id = stage(audience="school-x")

    report = deliver_pending(notifier=AppriseNotifier(config))
    again = deliver_pending(notifier=AppriseNotifier(config))

    assert report.no_target == 1
    assert [(f.key, f.target) for f in report.failures] == [("secondment:2026:selected:S001", "")]
    assert "school-x" in report.failures[0].error
    assert message_status(message_id) == "no_target"
    assert again.no_target == 0
    assert http_sink.requests == []


def test_default_local_outbox_gets_json_lines(db: Path) -> None:
    stage(recipient="S001")
    stage(recipient="S002", audience="school-x", body="李老师：**加粗**", body_format="markdown")

    report = deliver_pending(notifier=get_notifier())

    assert report.messages_delivered == 2
    outbox = db / "outbox.jsonl"
    text = outbox.read_text(encoding="utf-8")
    assert "张老师" in text  # written as UTF-8, not \u escapes
    lines = [json.loads(line) for line in text.splitlines()]
    assert [(line["title"], line["body_format"]) for line in lines] == [
        ("挂职通知", "text"),
        ("挂职通知", "markdown"),
    ]
    assert lines[1]["body"] == "李老师：**加粗**"
    assert lines[0]["tags"] == ["fallback", "local-outbox"]
    assert set(lines[0]) == {"at", "tags", "title", "body", "body_format"}


def test_local_outbox_lines_stay_whole_under_threads(db: Path) -> None:
    notifier = AppriseNotifier()
    body = "长" * 20_000

    def send_many() -> None:
        for _ in range(10):
            notifier.send("local-outbox", title="t", body=body, body_format="text")

    threads = [threading.Thread(target=send_many) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    lines = (db / "outbox.jsonl").read_text(encoding="utf-8").splitlines()
    assert len(lines) == 80
    assert all(json.loads(line)["body"] == body for line in lines)


# --------------------------------------------------------------------------- config validation


def test_entry_without_a_tag_of_its_own_is_refused_naming_it(tmp_path: Path) -> None:
    config = write_config(
        tmp_path / "apprise.yml",
        """\
urls:
  - json://127.0.0.1:9/a:
      tag: street-a, office
  - json://127.0.0.1:9/b:
      tag: street-a
""",
    )
    with pytest.raises(NotifierConfigError, match=r"entry #2 \(json://127.0.0.1:9/b.*of its own"):
        AppriseNotifier(config)


def test_entry_with_several_tags_of_its_own_is_refused_naming_it(tmp_path: Path) -> None:
    config = write_config(
        tmp_path / "apprise.yml",
        """\
urls:
  - json://127.0.0.1:9/a:
      tag: json-a, street-a
""",
    )
    with pytest.raises(NotifierConfigError, match=r"entry #1 .*ambiguous"):
        AppriseNotifier(config)


def test_entry_apprise_drops_is_refused(tmp_path: Path) -> None:
    config = write_config(
        tmp_path / "apprise.yml",
        """\
urls:
  - json://127.0.0.1:9/a:
      tag: json-a
  - json://127.0.0.1:9/b:
      tag: street:2
""",
    )
    with pytest.raises(NotifierConfigError, match=r"loaded 1 of 2 .*entry #2"):
        AppriseNotifier(config)


def test_not_an_apprise_yaml_config_is_refused(tmp_path: Path) -> None:
    config = write_config(tmp_path / "apprise.txt", "json://127.0.0.1:9/a\n")
    with pytest.raises(NotifierConfigError, match="not an Apprise YAML config"):
        AppriseNotifier(config)


@pytest.mark.postgres
def test_concurrent_delivery_books_outcomes_on_postgresql(
    pg_db: str,  # noqa: F811 (the fixture imported above)
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr("tasks.notify.delivery.PLAN_CHUNK", 7)
    routes = {f"t{n}": [f"street-{n}", "all-streets"] for n in range(5)}
    notifier = RecordingNotifier(routes, failures={"t3": 2})
    staged = [stage(f"street-{i % 5}", f"S{i:03d}") for i in range(20)]
    broadcast = stage("all-streets", "S999")

    first = deliver_pending(notifier=notifier, concurrency=4)
    second = deliver_pending(notifier=notifier, concurrency=4)

    assert (first.sends_ok, first.sends_failed, first.messages_failed) == (23, 2, 2)
    assert (second.sends_ok, second.sends_failed, second.messages_delivered) == (2, 0, 2)
    assert {message_status(i) for i in [*staged, broadcast]} == {"delivered"}
    assert {(d.status, d.attempts) for d in deliveries(broadcast).values()} == {("delivered", 1)}
    # t3's first two sends (S003, S008) failed; the second pass retried exactly those.
    for failed_once in (staged[3], staged[8]):
        row = deliveries(failed_once)["t3"]
        assert (row.status, row.attempts, row.last_error) == ("delivered", 2, "")
    with session_scope() as session:
        attempts = session.exec(select(DeliveryAttempt)).all()
    assert (len(attempts), sum(not a.ok for a in attempts)) == (27, 2)
