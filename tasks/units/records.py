"""Database side of the community units (R7.6): the office confirms a pledge and thanks the unit.

Confirming is one transaction: the pledge's status and the thank-you message are written
together; confirming again changes and sends nothing.
"""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel
from sqlmodel import col, select

from models.db import session_scope
from models.timeutil import utcnow
from models.units import Pledge
from tasks.common.district import active_profile
from tasks.common.workdays import date_zh
from tasks.notify.delivery import undelivered_message_ids
from tasks.notify.render import render
from tasks.notify.staging import stage_message
from tasks.units.rules import PledgeFacts, contribution_zh, kind_zh

FLOW = "units"


class UnitsError(ValueError):
    """A confirmation that cannot be done as asked; the message says why, in Chinese."""


class Confirmation(BaseModel):
    year: int
    ref: str
    unit: str
    confirmed_on: date
    changed: bool  # False: it was confirmed before (nothing written, nothing sent)


def _facts(pledge: Pledge) -> PledgeFacts:
    return PledgeFacts.model_validate(pledge.model_dump())


def confirm_pledge(
    *, year: int, ref: str, confirmed_by: str, note: str = "", today: date
) -> Confirmation:
    """The office confirms that the pledge was given; the unit is thanked by message."""
    if not confirmed_by.strip():
        raise UnitsError("请填写确认人")
    with session_scope() as session:
        pledge = session.exec(select(Pledge).where(Pledge.year == year, Pledge.ref == ref)).first()
        if pledge is None:
            raise UnitsError(f"{year}年度没有编号为“{ref}”的支持承诺（请先导入）")
        if pledge.status == "confirmed":
            assert pledge.confirmed_on is not None
            return Confirmation(
                year=year,
                ref=ref,
                unit=pledge.unit,
                confirmed_on=pledge.confirmed_on,
                changed=False,
            )
        if today < pledge.pledged_on:
            raise UnitsError(f"确认日期早于承诺日期（{date_zh(pledge.pledged_on)}）")
        profile = active_profile(session)
        pledge.status, pledge.confirmed_on = "confirmed", today
        pledge.confirmed_by, pledge.note, pledge.updated_at = confirmed_by.strip(), note, utcnow()
        session.add(pledge)
        title, body = render(
            "units_thanks",
            unit=pledge.unit,
            district=profile.district,
            pledged_on=pledge.pledged_on,
            confirmed_on=today,
            contribution=contribution_zh(_facts(pledge)),
            note=note.strip(),
            contact=profile.contacts.centre,
        )
        stage_message(
            session,
            flow=FLOW,
            year=year,
            kind=f"thanks-{ref}",
            recipient=pledge.unit_code,
            audience=f"unit-{pledge.unit_code}",
            title=title,
            body=body,
        )
        return Confirmation(year=year, ref=ref, unit=pledge.unit, confirmed_on=today, changed=True)


def pledge_rows(year: int) -> list[dict[str, object]]:
    """The year's pledges for the office (CLI and artifacts)."""
    with session_scope() as session:
        pledges = session.exec(
            select(Pledge).where(Pledge.year == year).order_by(col(Pledge.ref))
        ).all()
    return [
        {
            "编号": p.ref,
            "单位": p.unit,
            "街道": p.street,
            "形式": kind_zh(p.kind),
            "内容": contribution_zh(_facts(p)),
            "承诺日期": date_zh(p.pledged_on),
            "状态": "已落实" if p.status == "confirmed" else "待落实",
            "确认日期": date_zh(p.confirmed_on) if p.confirmed_on else "",
        }
        for p in pledges
    ]


def pending_message_ids(year: int) -> list[int]:
    return undelivered_message_ids(flow=FLOW, year=year)
