"""`learning-district` commands of the learning awards (R11.2): run, objections, rulings, final."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import typer

from deployments.cli.common import YES_HELP


def _import_nominations(file: Path, year: int | None) -> str:
    from tasks.importing.awards import import_nominations_file

    s = import_nominations_file(file, year=year)
    return f"{file}：提名 {s.rows} 条，新增 {s.inserted}，更新 {s.updated}，未变 {s.unchanged}"


def _import_scores(file: Path, year: int | None) -> str:
    from tasks.importing.awards import import_scores_file

    s = import_scores_file(file, year=year)
    return f"{file}：评分 {s.rows} 条，新增 {s.inserted}，更新 {s.updated}，未变 {s.unchanged}"


def register(app: typer.Typer, importers: dict[str, Callable[[Path, int | None], str]]) -> None:
    """Add the awards commands and import kinds to the command line."""
    importers["nominations"] = _import_nominations
    importers["scores"] = _import_scores

    @app.command()
    def awards(
        year: int = typer.Option(..., help="The award year."),
        approve: bool = typer.Option(False, "--approve", help="Sign off without pausing."),
        as_json: bool = typer.Option(False, "--json", help="Print the result as JSON."),
        seed: int | None = typer.Option(None, help="Seed of tie-break draws (default: year)."),
        start: str | None = typer.Option(None, help="First day of the 公示 (YYYY-MM-DD)."),
        yes: bool = typer.Option(False, "--yes", help=YES_HELP),
    ) -> None:
        """学习型组织评选 — run the learning awards (R11.2) up to the 公示."""
        from pydantic import ValidationError

        from deployments.cli.common import ensure_ready, out
        from deployments.cli.signoff import run_flow
        from flows.learning_awards import learning_awards
        from models.awards import CATEGORIES
        from models.params.awards import AwardsParameters, AwardsSignOff
        from models.refusal import refusal_from

        try:
            params = AwardsParameters(
                year=year,
                approval="auto" if approve else "manual",
                seed=seed,
                publicity_start=_day(start, "--start") if start else None,
            )
        except ValidationError as exc:
            raise refusal_from(exc, AwardsParameters) from None
        ensure_ready()
        result = run_flow(lambda: learning_awards(params), form=AwardsSignOff, yes=yes)
        if as_json:
            typer.echo(json.dumps(result.model_dump(mode="json"), ensure_ascii=False, indent=2))
            return
        for category, entries in result.categories.items():
            names = "、".join(f"{e.rank}. {e.ref}" for e in entries) or "无"
            out.print(f"{CATEGORIES.get(category, category)}：{names}", highlight=False)
        out.print(f"有效评分不足、未参与排名：{'、'.join(result.flagged) or '无'}")

    @app.command("award-objection")
    def award_objection(
        year: int = typer.Option(...),
        ref: str = typer.Option(..., help="The nomination objected to."),
        objector: str = typer.Option(..., help="Real name of the objector (实名)."),
        content: str = typer.Option(..., help="What is objected to."),
        phone: str = typer.Option("", help="Objector's phone (kept private)."),
        today: str | None = typer.Option(None, help="Date of filing (default: today)."),
        yes: bool = typer.Option(False, "--yes", help=YES_HELP),
    ) -> None:
        """公示异议 — file a real-name objection during the 公示."""
        from tasks.awards.objections import file_objection

        _run_records(
            file_objection,
            yes=yes,
            year=year,
            ref=ref,
            objector=objector,
            content=content,
            phone=phone,
            today=_day(today),
        )

    @app.command("award-ruling")
    def award_ruling(
        objection: int = typer.Option(..., help="Objection id."),
        decision: str = typer.Option(..., help="异议成立 (uphold) or 异议不成立 (dismiss)"),
        ruling: str = typer.Option(..., help="The written ruling."),
        operator: str = typer.Option("", help="Who rules."),
        today: str | None = typer.Option(None, help="Date of the ruling (default: today)."),
        yes: bool = typer.Option(False, "--yes", help=YES_HELP),
    ) -> None:
        """异议裁定 — rule on an objection: uphold (withdraw, promote next) or dismiss."""
        from pydantic import ValidationError

        from models.params.awards import RulingParameters
        from models.refusal import refusal_from
        from tasks.awards.objections import rule_objection

        try:
            params = RulingParameters(
                objection_id=objection, decision=decision.strip(), ruling=ruling, operator=operator
            )
        except ValidationError as exc:
            raise refusal_from(exc, RulingParameters) from None
        _run_records(
            rule_objection,
            yes=yes,
            objection_id=params.objection_id,
            decision=params.decision,
            ruling=params.ruling,
            operator=params.operator,
            today=_day(today),
        )

    @app.command("awards-finalise")
    def awards_finalise(
        year: int = typer.Option(...),
        today: str | None = typer.Option(None, help="The day of finalising (default: today)."),
        yes: bool = typer.Option(False, "--yes", help=YES_HELP),
    ) -> None:
        """名单定稿 — make the list final once every 公示 has ended with no open objection."""
        from tasks.awards.final_list import finalise

        _run_records(finalise, yes=yes, year=year, today=_day(today))


def _day(text: str | None, option: str = "--today") -> date:
    from models.refusal import Refusal
    from tasks.common import clock

    if text is None:
        return clock.today()
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise Refusal(f"日期（{option}）填的“{text}”不是日期，应写作 2026-09-10") from None


def _run_records(
    function: Callable[..., dict[str, Any]], *, yes: bool = False, **kwargs: Any
) -> None:
    """Call one awards record function, deliver what it staged, print its JSON outcome."""
    from deployments.cli.common import asking_before_sending, ensure_ready
    from tasks.notify.delivery import deliver_pending

    ensure_ready()
    outcome = function(**kwargs)
    with asking_before_sending(yes):
        deliver_pending()
    typer.echo(json.dumps(outcome, ensure_ascii=False, indent=2))
