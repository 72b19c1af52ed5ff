"""Follow-through of the published ideas (R7.3): progress of adopted ideas, overdue reminders."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime

from sqlmodel import col, select

from models.audit import Decision
from models.db import session_scope
from models.ideas import Idea, IdeaAction, IdeaResult
from models.refusal import Refusal
from tasks.common.district import active_profile
from tasks.common.holidays import work_calendar
from tasks.ideas.records import FLOW
from tasks.ideas.screening import RULE, shown
from tasks.notify.render import render
from tasks.notify.staging import stage_message


def update_action(*, year: int, ref: str, progress: int, note: str, now: datetime) -> bool:
    """Record progress of an adopted idea; at 100 it is done and every submitter is told.

    Returns True when this call completed the action.
    """
    if not 0 <= progress <= 100:
        raise Refusal(f"进度应为0至100，填的是{progress}")
    with session_scope() as session:
        action = session.exec(
            select(IdeaAction).where(IdeaAction.year == year, IdeaAction.ref == ref)
        ).first()
        if action is None:
            raise Refusal(f"{ref}不是{year}年度采纳的建议")
        if action.status == "done":
            return False
        action.progress = max(action.progress, progress)
        action.note = note or action.note
        if action.progress < 100:
            return False
        action.status, action.done_at = "done", now
        result = session.exec(
            select(IdeaResult).where(IdeaResult.year == year, IdeaResult.ref == ref)
        ).one()
        ideas = session.exec(
            select(Idea).where(Idea.year == year, col(Idea.ref).in_(result.members))
        ).all()
        contact = active_profile(session).contacts.centre
        for idea in ideas:
            title, body = render(
                "ideas_done",
                submitter=idea.submitter,
                title=shown(idea.title),
                ref=idea.ref,
                department=action.department,
                note=shown(action.note),
                contact=contact,
            )
            stage_message(
                session,
                flow=FLOW,
                year=year,
                kind="done",
                recipient=idea.ref,
                audience=f"idea-submitter-{idea.ref}",
                title=title,
                body=body,
            )
        session.add(
            Decision(
                process=FLOW,
                year=year,
                subject=ref,
                kind="done",
                rule=RULE,
                reason=f"{action.department}落实完成：{shown(action.note) or '（无说明）'}",
            )
        )
        return True


def overdue_reminders(*, year: int, today: date) -> int:
    """Stage one reminder per owner department with open actions past due (once per day)."""
    with session_scope() as session:
        actions = session.exec(
            select(IdeaAction).where(
                IdeaAction.year == year, IdeaAction.status == "open", col(IdeaAction.due) < today
            )
        ).all()
        titles = {
            i.ref: shown(i.title)
            for i in session.exec(
                select(Idea).where(Idea.year == year, col(Idea.ref).in_([a.ref for a in actions]))
            ).all()
        }
        groups: dict[str, list[IdeaAction]] = defaultdict(list)
        for action in actions:
            groups[action.department].append(action)
        staged = 0
        profile = active_profile(session)
        reply_by = work_calendar(session).add_working_days(
            today, profile.ideas.progress_report_days
        )
        for department, items in sorted(groups.items()):
            title, body = render(
                "ideas_overdue",
                department=department,
                count=len(items),
                items=[
                    {
                        "ref": a.ref,
                        "title": titles.get(a.ref, ""),
                        "due": a.due,
                        "progress": a.progress,
                    }
                    for a in items
                ],
                reply_by=reply_by,
                contact=profile.contacts.centre,
            )
            message = stage_message(
                session,
                flow=FLOW,
                year=year,
                kind=f"overdue-{today.isoformat()}",
                recipient=department,
                audience=f"department-{department}",
                title=title,
                body=body,
            )
            if message is not None:
                staged += 1
                for a in items:
                    a.reminders += 1
        return staged


def year_actions(year: int) -> list[IdeaAction]:
    """The adopted ideas of a year followed through, by ref."""
    with session_scope() as session:
        return list(
            session.exec(
                select(IdeaAction).where(IdeaAction.year == year).order_by(col(IdeaAction.ref))
            ).all()
        )
