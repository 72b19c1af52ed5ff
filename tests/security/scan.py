"""Collect everything the application showed or stored for others, and scan it for personal data.

An `Item` is one piece of text someone other than the data subject may read: a log line, an
artifact, a report file, a flow run's parameters, an event, a stored error, a message. Messages
carry their addressee (the audience tag they were sent to); a phone or ID number may appear only
in a message addressed to its owner. Owners come from the tables that hold the personal data:
a teacher's phone belongs to `teacher-<staff_id>`, an idea submitter's to
`idea-submitter-<ref>`; an objector has no audience, so their phone may appear nowhere.

The input stores themselves (the `teacher`, `idea` and `award_objection` rows, and the roster
file the demo imports) are where the data is kept, not shown; they are not scanned.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from docx import Document
from openpyxl import load_workbook
from prefect.client.orchestration import SyncPrefectClient
from sqlmodel import select

from models.audit import Decision
from models.awards import AwardObjection
from models.db import session_scope
from models.ideas import Idea
from models.outbox import Delivery, DeliveryAttempt, OutboxMessage
from models.secondment import Teacher
from tasks.common.privacy import find_personal_numbers, mask_text

PAGE = 200
EVENTS_PAGE = 50  # the API's maximum for events
_DIGIT_RUN = re.compile(r"\d{11,}")
TEXT_SUFFIXES = {".md", ".ics", ".csv", ".txt", ".json", ".log", ".html", ".toml"}


@dataclass(frozen=True)
class Item:
    """One piece of text shown or stored for others; `addressee` is set for messages only."""

    source: str
    text: str
    addressee: str = ""


@dataclass(frozen=True)
class Leak:
    source: str
    kind: str
    masked: str  # the value masked: a failing test must not print personal data either


def owners() -> dict[str, set[str]]:
    """Each phone number in the database → the audience tags allowed to see it unmasked."""
    owned: dict[str, set[str]] = {}
    with session_scope() as session:
        for staff_id, phone in session.exec(select(Teacher.staff_id, Teacher.phone)):
            if phone:
                owned.setdefault(phone, set()).add(f"teacher-{staff_id}")
        for ref, phone in session.exec(select(Idea.ref, Idea.phone)):
            owned.setdefault(phone, set()).add(f"idea-submitter-{ref}")
        for phone in session.exec(select(AwardObjection.phone)):
            if phone:
                owned.setdefault(phone, set())
    return owned


def scan(items: Iterable[Item], *, owned: dict[str, set[str]]) -> tuple[int, list[Leak]]:
    """Count the items and list every phone or ID number shown to someone not its owner.

    A value counts if the pattern scanner finds it (`find_personal_numbers`) or if it is a
    known phone from the database appearing anywhere in the text (even glued to other digits).
    """
    leaks: list[Leak] = []
    count = 0
    for item in items:
        count += 1
        found = {(n.kind, n.value) for n in find_personal_numbers(item.text)}
        found |= {("phone", phone) for phone in _known_phones(item.text, owned)}
        for kind, value in sorted(found):
            if item.addressee and item.addressee in owned.get(value, set()):
                continue
            leaks.append(Leak(item.source, kind, mask_text(value)))
    return count, leaks


def _known_phones(text: str, owned: dict[str, set[str]]) -> set[str]:
    """Known phone numbers inside any run of 11 or more digits of `text`."""
    return {
        run[start : start + 11]
        for run in _DIGIT_RUN.findall(text)
        for start in range(len(run) - 10)
        if run[start : start + 11] in owned
    }


# --------------------------------------------------------------------------- Prefect API


def _as_text(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, default=str)


def prefect_logs(client: SyncPrefectClient) -> Iterator[Item]:
    """Every log line the Prefect API holds (all runs), page by page."""
    offset = 0
    while True:
        page = client.read_logs(limit=PAGE, offset=offset)
        for log in page:
            yield Item(f"prefect log {log.name} {log.timestamp}", log.message)
        if len(page) < PAGE:
            return
        offset += PAGE


def prefect_artifacts(client: SyncPrefectClient) -> Iterator[Item]:
    """Every artifact (every version): its key, description and data."""
    offset = 0
    while True:
        page = client.read_artifacts(limit=PAGE, offset=offset)
        for artifact in page:
            text = "\n".join(
                [artifact.key or "", artifact.description or "", _as_text(artifact.data)]
            )
            yield Item(f"artifact {artifact.key or artifact.id}", text)
        if len(page) < PAGE:
            return
        offset += PAGE


def prefect_runs(client: SyncPrefectClient) -> Iterator[Item]:
    """Every flow run's name, parameters and final state message, and every task run's."""
    offset = 0
    while True:
        flow_runs = client.read_flow_runs(limit=PAGE, offset=offset)
        for run in flow_runs:
            message = run.state.message if run.state else ""
            text = f"{run.name}\n{_as_text(run.parameters)}\n{message or ''}"
            yield Item(f"flow run {run.name}", text)
        if len(flow_runs) < PAGE:
            break
        offset += PAGE
    offset = 0
    while True:
        task_runs = client.read_task_runs(limit=PAGE, offset=offset)
        for task_run in task_runs:
            message = task_run.state.message if task_run.state else ""
            yield Item(f"task run {task_run.name}", f"{task_run.name}\n{message or ''}")
        if len(task_runs) < PAGE:
            return
        offset += PAGE


def prefect_events(client: SyncPrefectClient) -> Iterator[Item]:
    """Every event of the last day: its name, resource and payload (events may carry input)."""
    page = client.read_events(limit=EVENTS_PAGE)
    while True:
        for event in page.events:
            text = "\n".join([event.event, _as_text(dict(event.resource)), _as_text(event.payload)])
            yield Item(f"event {event.event}", text)
        if page.next_page is None:
            return
        page = client.read_events_page(str(page.next_page))


def everything_in_prefect(client: SyncPrefectClient) -> list[Item]:
    return [
        *prefect_logs(client),
        *prefect_artifacts(client),
        *prefect_runs(client),
        *prefect_events(client),
    ]


# --------------------------------------------------------------------------- files and database


def xlsx_text(path: Path) -> str:
    """Every cell value of every sheet, one row a line."""
    workbook = load_workbook(path, read_only=True, data_only=True)
    try:
        lines = [
            "\t".join("" if value is None else str(value) for value in row)
            for sheet in workbook.worksheets
            for row in sheet.iter_rows(values_only=True)
        ]
    finally:
        workbook.close()
    return "\n".join(lines)


W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"


def docx_text(path: Path) -> str:
    """Every paragraph of a Word document, its tables, headers and footers, one a line."""
    document = Document(str(path))
    parts = [document.element.body, *(s.footer.part.element for s in document.sections)]
    return "\n".join("".join(p.itertext()) for part in parts for p in part.iter(f"{W}p"))


def report_files(root: Path, *, skip: Iterable[Path] = ()) -> Iterator[Item]:
    """Every text, XLSX and Word file under `root` (reports, calendars, logs), but not `skip`."""
    skipped = {p.resolve() for p in skip}
    for path in sorted(root.rglob("*")):
        if not path.is_file() or path.resolve() in skipped:
            continue
        if path.suffix == ".xlsx":
            yield Item(f"file {path.relative_to(root)}", xlsx_text(path))
        elif path.suffix == ".docx":
            yield Item(f"file {path.relative_to(root)}", docx_text(path))
        elif path.suffix in TEXT_SUFFIXES:
            text = path.read_text(encoding="utf-8", errors="replace")
            yield Item(f"file {path.relative_to(root)}", text)


def outbox_items() -> list[Item]:
    """Every outbox message with its audience, and what the database stores about sends."""
    items: list[Item] = []
    with session_scope() as session:
        for m in session.exec(select(OutboxMessage)):
            items.append(Item(f"message {m.key}", f"{m.title}\n{m.body}", addressee=m.audience))
        for error in session.exec(select(Delivery.last_error)):
            items.append(Item("delivery error", error))
        for error in session.exec(select(DeliveryAttempt.error)):
            items.append(Item("delivery attempt error", error))
        for d in session.exec(select(Decision)):
            items.append(Item(f"decision {d.process} {d.subject} {d.kind}", d.reason))
    return items


def outbox_file_items(path: Path) -> list[Item]:
    """The local outbox file, each line attributed to the outbox message it delivered.

    A line that matches no stored message has no addressee, so any number in it is a leak.
    """
    with session_scope() as session:
        audience_of = {(m.title, m.body): m.audience for m in session.exec(select(OutboxMessage))}
    items = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        sent = json.loads(line)
        addressee = audience_of.get((sent["title"], sent["body"]), "")
        items.append(Item(f"{path.name} line {number}", line, addressee=addressee))
    return items
