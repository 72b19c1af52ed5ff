"""The `learning-district` command line."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path

import typer

from deployments.cli import (
    audit,
    awards,
    calendar,
    holidays,
    ideas,
    judging,
    meetings,
    network,
    notify,
    playgrounds,
    portal,
    scale,
    secondment,
    units,
    volunteers,
)
from deployments.cli.common import Commands, ensure_ready, err, fail, out

app = typer.Typer(
    cls=Commands,
    help="learning-district: a district's community-education policy as Prefect workflows.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
VERBOSE_FLAGS = ("--verbose", "-v")


@app.callback()
def root(
    verbose: bool = typer.Option(
        False, *VERBOSE_FLAGS, help="Show Prefect's own log lines on the terminal too."
    ),
) -> None:
    """learning-district: a district's community-education policy as Prefect workflows."""
    from deployments.runtime.environment import prepare_environment, quiet_console

    # also when the app runs in a process that did not start at `main` (Prefect may set its
    # logging up again later, from the environment: it stays quiet then too)
    prepare_environment(verbose=verbose)
    quiet_console(verbose=verbose)


@app.command()
def init(
    profile: Path | None = typer.Option(None, help="District profile YAML (default: bundled)."),
) -> None:
    """初始化 — create or migrate the database and load the district profile."""
    from models.db import migrate
    from models.profile.loading import ProfileError
    from models.settings import get_settings
    from tasks.common.district import init_registry

    migrate()
    warnings: list[str] = []
    try:
        loaded, changed = init_registry(profile or get_settings().profile, warnings=warnings)
    except ProfileError as exc:
        raise fail(str(exc)) from None
    for warning in warnings:
        err.print(f"[yellow]提示：[/yellow]{warning}", highlight=False)
    out.print(
        f"数据库已就绪；区情配置：{loaded.district}，街道 {len(loaded.streets)} 个"
        f"（试点 {sum(s.pilot for s in loaded.streets)} 个），学校 {len(loaded.schools)} 所"
        + ("" if changed else "（未变化）"),
        highlight=False,
    )


@app.command("profile-check")
def profile_check(file: Path) -> None:
    """区情配置检查 — validate a district profile file without loading it."""
    from models.profile.loading import ProfileError, load_profile

    warnings: list[str] = []
    try:
        loaded, _ = load_profile(file, warnings=warnings)
    except ProfileError as exc:
        raise fail(str(exc)) from None
    for warning in warnings:
        err.print(f"[yellow]提示：[/yellow]{warning}", highlight=False)
    out.print(
        f"{file}：格式正确（{loaded.district}，街道 {len(loaded.streets)} 个）", highlight=False
    )


# KIND -> function(file, year) that validates the whole file, writes it and returns a summary.
# Each process's command module adds its kinds in its `register`.
IMPORTERS: dict[str, Callable[[Path, int | None], str]] = {}


@app.command("import")
def import_file(
    kind: str = typer.Argument(..., help="teachers, ideas, nominations, scores, …"),
    file: Path = typer.Argument(..., exists=False),
    year: int | None = typer.Option(None, help="The year the data belongs to."),
) -> None:
    """导入 — validate a CSV/XLSX file whole, then upsert it; a bad file writes nothing."""
    importer = IMPORTERS.get(kind)
    if importer is None:
        raise fail(f"不能导入“{kind}”：可导入的种类为 {'、'.join(sorted(IMPORTERS))}")
    ensure_ready()
    out.print(importer(file, year), highlight=False)


@app.command()
def template(
    kind: str = typer.Argument(..., help="teachers"),
    out_file: Path | None = typer.Option(None, "--out", help="Where to write the XLSX."),
) -> None:
    """导入模板 — write an empty XLSX with the headers of KIND."""
    from tasks.importing.template import write_template

    target = out_file or Path(f"{kind}-template.xlsx")
    out.print(f"已写入模板：{write_template(kind, target)}", highlight=False)


@app.command()
def up(
    host: str = typer.Option(
        "127.0.0.1",
        help="Address the Prefect server and the portal listen on; beyond loopback the "
        "Prefect API requires basic auth.",
    ),
    portal_port: int = typer.Option(8765, min=1, max=65535, help="The portal's port."),
) -> None:
    """启动服务 — local Prefect server, every deployment served, the portal; Ctrl-C stops."""
    from deployments.runtime.up import UpError, run_up

    ensure_ready()
    try:
        run_up(console=out, host=host, portal_port=portal_port)
    except UpError as exc:
        raise fail(str(exc)) from None


@app.command()
def demo(
    teachers: int = typer.Option(300, help="Size of the generated roster."),
    seed: int = typer.Option(2026, help="Seed of the generated data."),
    year: int = typer.Option(2026, help="The pilot year."),
    secondment_only: bool = typer.Option(
        False, "--secondment-only", help="Stop after the teacher secondment."
    ),
) -> None:
    """演示 — the pilot year on embedded defaults: secondment, calendar, ideas, awards, KPI."""
    from deployments.demo.run import run_demo

    run_demo(teachers=teachers, seed=seed, year=year, console=out, secondment_only=secondment_only)


for register in (
    secondment.register,
    calendar.register,
    holidays.register,
    ideas.register,
    awards.register,
    judging.register,
    volunteers.register,
    meetings.register,
    network.register,
    playgrounds.register,
    units.register,
    notify.register,
    portal.register,
    scale.register,
    audit.register,
):
    register(app, IMPORTERS)


def main() -> None:
    """The console script: the environment first (before Prefect is imported), then the app."""
    from deployments.runtime.environment import prepare_environment
    from deployments.runtime.server import Stopped

    prepare_environment(verbose=any(flag in sys.argv[1:] for flag in VERBOSE_FLAGS))
    try:
        app()
    except Stopped as stopped:  # SIGTERM or SIGHUP: cleaned up on the way out
        raise SystemExit(128 + stopped.signum) from None


if __name__ == "__main__":
    main()
