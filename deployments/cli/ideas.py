"""`learning-district ideas …` commands and the `ideas` / `idea-scores` import kinds (R7.3)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Annotated

import typer

from deployments.cli.common import YES_HELP

ideas_app = typer.Typer(help="金点子 — golden-idea campaign (R7.3): intake, clusters, review.")


def _import_ideas(file: Path, year: int | None) -> str:
    from tasks.importing.ideas import import_ideas_file

    s = import_ideas_file(file, year=year)
    return (
        f"{file}：建议 {s.rows} 条（{s.encoding}），新增 {s.inserted}，未变 {s.unchanged}；"
        f"本次筛查 {s.screened} 条，累计未通过筛查 {s.rejected} 条"
    )


def _import_idea_scores(file: Path, year: int | None) -> str:
    from models.ideas import IdeaCampaign
    from tasks.ideas.records import profile_and_policy
    from tasks.ideas.review import prepare_review, record_scores
    from tasks.importing.ideas import read_idea_scores
    from tasks.importing.reading import ImportRejected

    if year is None:
        raise ImportRejected(file, ["导入评审评分须指明年度（--year）"])
    from models.db import session_scope

    with session_scope() as session:
        campaign = session.get(IdeaCampaign, year)
    if campaign is None:
        raise ImportRejected(file, [f"{year}年度尚未开展金点子征集"])
    _, policy = profile_and_policy()
    rows = read_idea_scores(file, policy=policy)
    setup = prepare_review(year=year, seed=campaign.seed)
    try:
        count = record_scores(year=year, setup=setup, rows=rows)
    except ValueError as exc:
        raise ImportRejected(file, str(exc).split("; ")) from None
    return f"{file}：已保存评审评分 {count} 条"


def register(app: typer.Typer, importers: dict[str, Callable[[Path, int | None], str]]) -> None:
    """Add the `ideas` command group and the import kinds."""
    importers["ideas"] = _import_ideas
    importers["idea-scores"] = _import_idea_scores
    app.add_typer(ideas_app, name="ideas")


@ideas_app.command("open")
def open_cmd(
    year: int = typer.Option(..., help="Campaign year."),
    start: str = typer.Option("", help="First day of collection (YYYY-MM-DD); default today."),
) -> None:
    """Open the year's campaign and announce it (idempotent)."""
    from deployments.cli.common import ensure_ready, fail, out
    from tasks.ideas.campaign import open_campaign

    ensure_ready()
    try:
        first = date.fromisoformat(start) if start else None
    except ValueError:
        raise fail(f"--start“{start}”不是日期，应写作2026-09-01") from None
    if first is None:
        from tasks.common import clock

        first = clock.today()
    campaign = open_campaign(year=year, start=first)
    phases = {phase: day.isoformat() for phase, day in campaign.phases.items()}
    out.print(f"campaign {year}: phase {campaign.phase}; phases {phases}")


@ideas_app.command("submit")
def submit_cmd(
    year: int = typer.Option(..., help="Campaign year."),
    submitter: str = typer.Option(..., help="提交人"),
    phone: str = typer.Option(..., help="手机"),
    community: str = typer.Option(..., help="社区"),
    title: str = typer.Option(..., help="标题"),
    content: str = typer.Option(..., help="内容"),
    ref: str = typer.Option("", help="编号 (paper form); generated when empty"),
    category: str = typer.Option(
        "", help="类别: an idea category of the profile (Chinese name or code); empty = by keywords"
    ),
) -> None:
    """Submit one idea: stored first, then screened (the same path as the HTTP intake)."""
    from deployments.cli.common import ensure_ready, fail, out
    from models.timeutil import utcnow
    from tasks.ideas.intake import submit
    from tasks.ideas.records import SubmissionRejected, screen_ids
    from tasks.ideas.screening import Submission

    ensure_ready()
    submission = Submission(
        submitter=submitter,
        phone=phone,
        community=community,
        title=title,
        content=content,
        ref=ref,
        category=category,
    )
    try:
        ack = submit(year=year, submission=submission, source="cli", now=utcnow())
    except SubmissionRejected as exc:
        raise fail("；".join(exc.problems.values())) from None
    if ack.duplicate:
        out.print(f"already submitted as {ack.ref} ({ack.status})")
        return
    screen_ids(ids=[ack.id], now=utcnow())
    out.print(f"received {ack.ref}; screened")


@ideas_app.command("poster")
def poster_cmd(
    year: int = typer.Option(..., help="Campaign year."),
    out: Path | None = typer.Option(None, help="Folder; default <data dir>/reports/<year>/."),
) -> None:
    """The idea form's QR code (PNG) and a printable poster (DOCX) with the campaign's text."""
    from deployments.cli.common import ensure_ready, fail
    from deployments.cli.common import out as console
    from tasks.ideas.poster import NoCampaign, write_poster

    ensure_ready()
    try:
        files = write_poster(year=year, out=out)
    except NoCampaign as exc:
        raise fail(str(exc)) from None
    for written in files:
        console.print(f"{written.label}：{written.path}")


@ideas_app.command("clusters")
def clusters_cmd(
    year: int = typer.Option(..., help="Campaign year."),
    as_json: bool = typer.Option(False, "--json", help="Print docs/spec.md's JSON."),
) -> None:
    """The year's near-duplicate clusters: every screened idea in exactly one cluster."""
    from deployments.cli.common import ensure_ready, out
    from tasks.ideas.clusters import year_clusters

    ensure_ready()
    clusters = year_clusters(year)
    if as_json:
        typer.echo(json.dumps({"year": year, "clusters": clusters}, ensure_ascii=False))
        return
    multi = [c for c in clusters if len(c) > 1]
    out.print(f"{year}: {len(clusters)} clusters, {len(multi)} with near-duplicates")
    for members in multi:
        out.print("  " + ", ".join(members))


# the options of every logged cluster edit
EditYear = Annotated[int, typer.Option()]
EditReason = Annotated[str, typer.Option(help="Why (kept on record).")]
EditOperator = Annotated[str, typer.Option(help="Who.")]


def _edit_clusters(change: Callable[[], object], done: Callable[[object], str]) -> None:
    """Apply one logged cluster edit; a refused one (unknown ref, nothing to undo) fails."""
    from deployments.cli.common import ensure_ready, fail, out

    ensure_ready()
    try:
        edit = change()
    except ValueError as exc:
        raise fail(str(exc)) from None
    out.print(done(edit))


@ideas_app.command("merge")
def merge_cmd(
    ref: str,
    into: Annotated[str, typer.Option(help="A ref of the cluster to join.")],
    year: EditYear,
    reason: EditReason,
    operator: EditOperator = "",
) -> None:
    """Merge REF's cluster with INTO's (logged, reversible with `ideas undo`)."""
    from tasks.ideas.clusters import edit_cluster

    _edit_clusters(
        lambda: edit_cluster(
            year=year, action="merge", ref=ref, target=into, reason=reason, operator=operator
        ),
        lambda edit: f"edit {edit}: {ref} merged with {into}",
    )


@ideas_app.command("unmerge")
def unmerge_cmd(ref: str, year: EditYear, reason: EditReason, operator: EditOperator = "") -> None:
    """Take REF out of its cluster (logged, reversible with `ideas undo`)."""
    from tasks.ideas.clusters import edit_cluster

    _edit_clusters(
        lambda: edit_cluster(
            year=year, action="unmerge", ref=ref, reason=reason, operator=operator
        ),
        lambda edit: f"edit {edit}: {ref} taken out of its cluster",
    )


@ideas_app.command("undo")
def undo_cmd(edit_id: int, year: EditYear, reason: EditReason, operator: EditOperator = "") -> None:
    """Undo a merge or unmerge."""
    from tasks.ideas.clusters import undo_edit

    _edit_clusters(
        lambda: undo_edit(year=year, edit_id=edit_id, reason=reason, operator=operator),
        lambda _: f"edit {edit_id} undone",
    )


@ideas_app.command("review")
def review_cmd(
    year: int = typer.Option(..., help="Campaign year."),
    approve: bool = typer.Option(False, "--approve", help="Sign off without pausing."),
    as_json: bool = typer.Option(False, "--json"),
    yes: bool = typer.Option(False, "--yes", help=YES_HELP),
) -> None:
    """金点子评审 — rank the reviewed representatives, sign off, publish all results at once."""
    from pydantic import ValidationError

    from deployments.cli.common import ensure_ready, out
    from deployments.cli.signoff import run_flow
    from flows.golden_ideas import review_ideas
    from models.params.ideas import IdeasSignOff, ReviewParameters
    from models.refusal import refusal_from

    try:
        params = ReviewParameters(year=year, approval="auto" if approve else "manual")
    except ValidationError as exc:
        raise refusal_from(exc, ReviewParameters) from None
    ensure_ready()
    result = run_flow(lambda: review_ideas(params), form=IdeasSignOff, yes=yes)
    if as_json:
        typer.echo(json.dumps(result.model_dump(mode="json"), ensure_ascii=False, indent=2))
    elif result.status == "rejected":
        out.print(f"{year}年度金点子评审结果已退回，未公布。")
    else:
        for item in result.selected:
            out.print(f"{item.rank:>3} {item.tier} {item.ref} ({len(item.members)})")


@ideas_app.command("progress")
def progress_cmd(
    ref: str,
    year: int = typer.Option(...),
    percent: int = typer.Option(..., min=0, max=100),
    note: str = typer.Option(""),
) -> None:
    """Record progress of an adopted idea; at 100 its submitters are told it is done."""
    from deployments.cli.common import ensure_ready, fail, out
    from models.timeutil import utcnow
    from tasks.ideas.actions import update_action

    ensure_ready()
    try:
        finished = update_action(year=year, ref=ref, progress=percent, note=note, now=utcnow())
    except ValueError as exc:
        raise fail(str(exc)) from None
    out.print(f"{ref}: {percent}%" + ("; done, submitters told" if finished else ""))


@ideas_app.command("worker")
def worker_cmd() -> None:
    """Serve the screening task queue (`screen_ideas.delay`) for this Prefect server."""
    from prefect.task_worker import serve

    from deployments.cli.common import ensure_ready
    from tasks.ideas.tasks import screen_ideas

    ensure_ready()
    running = serve(screen_ideas)
    if running is not None:
        asyncio.run(running)
