"""The rest of the policy in the demo: the network, bases and teams (R2-R6), the community-school
rollout (R8.3), open playgrounds (R8.2), the research seminars (R10.5), community units' pledges
(R7.6) and who attended the cadre trainings (R7.1).

Every file goes through its real importer; the year's checks run on the days they would run.
"""

from __future__ import annotations

from datetime import date, timedelta

from rich.console import Console
from rich.table import Table


def run_network_demo(*, year: int, console: Console) -> None:
    """Register the network and run its processes on the demo's database (after the calendar)."""
    from models.db import session_scope
    from models.settings import get_settings
    from tasks.calendar import meetings, summary
    from tasks.calendar.attendance import training_attendance
    from tasks.calendar.seminars import plan_seminars
    from tasks.common.district import active_profile
    from tasks.common.documents import year_dir
    from tasks.common.workdays import day_zh
    from tasks.importing.attendance import import_attendance_file
    from tasks.importing.community_schools import import_community_schools_file
    from tasks.importing.network import (
        import_bases_file,
        import_team_file,
    )
    from tasks.importing.playgrounds import import_playgrounds_file
    from tasks.importing.pledges import import_pledges_file
    from tasks.network import records as network
    from tasks.network.tasks import network_report_task
    from tasks.playgrounds import records as playgrounds
    from tasks.playgrounds.rules import week_of
    from tasks.samples import network as samples
    from tasks.units.records import confirm_pledge

    folder = get_settings().data_dir / "network"
    with session_scope() as session:
        profile = active_profile(session)
    console.rule(f"{year}年社区教育网络、基地、队伍与社区学校（R2-R6、R8.3）")
    opened = network.rollout_check(year=year, today=date(year, 1, 15))
    console.print(f"1月15日推广检查：为{len(opened.actions)}个到期街道建立设立社区学校的任务并提醒")
    bases = import_bases_file(samples.write_bases_csv(folder / "bases.csv", profile))
    team = import_team_file(
        samples.write_team_csv(folder / "team.csv", profile, year=year, seed=year), year=year
    )
    schools = import_community_schools_file(
        samples.write_community_schools_csv(folder / "community_schools.csv", profile, year=year)
    )
    console.print(
        f"登记教育基地{bases.groups}个（场地{bases.rows}处）、队伍成员{team.rows}人、"
        f"街道社区学校{schools.rows}所"
    )
    closed = network.rollout_check(year=year, today=date(year, 12, 10))
    console.print(
        f"12月10日推广检查：{sum(a.kind == 'done' for a in closed.actions)}项任务办结；"
        f"年底前计划{closed.due_by_year_end}所，已开办{closed.open_by_year_end}所"
    )

    console.rule("学校操场早晚开放（R8.2）")
    hours = import_playgrounds_file(
        samples.write_playgrounds_csv(folder / "playgrounds.csv", profile, seed=year)
    )
    national_day = date(year, 10, 1)
    friday = national_day - timedelta(days=national_day.weekday() + 3)  # the Friday before
    monday, _ = week_of(friday)  # the week of National Day: closures show in it
    plan = playgrounds.publish_week(monday)
    notices = []
    for day in sorted({c.notice_on for c in playgrounds.year_closures(year)}):
        notices += playgrounds.stage_closure_notices(day)
    console.print(
        f"登记{hours.rows // 2}所小学的开放时间；{day_zh(monday)}起一周的安排发往"
        f"{len(plan.streets)}个街道的各社区；全年暂停开放通知{len(notices)}项，例如："
    )
    for closure in notices[:3]:
        console.print(
            f"  {day_zh(closure.notice_on)}通知{closure.street}：{closure.reason}，"
            f"{day_zh(closure.first)}起暂停，{day_zh(closure.reopens)}恢复",
            highlight=False,
        )

    console.rule("理论研究组专题研讨（R10.5）")
    series = plan_seminars(year=year)
    for seminar in series.seminars:
        console.print(f"  {day_zh(seminar.day)}  {seminar.title}  {seminar.venue}", highlight=False)

    console.rule("社区单位出谋出钱出力（R7.6）")
    pledges = import_pledges_file(
        samples.write_pledges_csv(folder / "pledges.csv", profile, year=year), year=year
    )
    confirmed = 0
    for n, ref in enumerate(("P0001", "P0002", "P0003", "P0004", "P0005", "P0006")):
        confirm_pledge(
            year=year,
            ref=ref,
            confirmed_by="区社区教育指导中心办公室",
            today=date(year, 7, 1) + timedelta(days=7 * n),
        )
        confirmed += 1
    console.print(f"登记承诺{pledges.rows}项，已落实并致谢{confirmed}项")

    console.rule("干部培训参训情况（R7.1）")
    planned = summary.calendar_result(year) or {"events": []}
    trainings = [e for e in planned["events"] if e["kind"] == "cadre_training"]
    for event in trainings:
        for i, name in enumerate(("王芳", "李强", "赵敏", "周杰")):
            meetings.record_rsvp(
                year=year, key=event["key"], attendee=name, response="参加" if i else "不参加"
            )
    sheet = samples.write_sign_in_csv(
        folder / "sign_in.csv",
        [(date.fromisoformat(e["date"]), e["title"], e["invitees"]) for e in trainings],
        seed=year,
    )
    import_attendance_file(sheet, year=year)
    table = Table(title=f"{year}年干部培训参训情况")
    for column in ("日期", "培训", "邀请", "回执", "签到", "签到率"):
        table.add_column(column)
    for row in training_attendance(year):
        table.add_row(
            day_zh(row.day),
            row.title,
            str(row.invited),
            str(row.answered),
            str(row.signed_in),
            f"{row.rate:.0%}",
        )
    console.print(table)

    _deliver(year)
    report = network_report_task.fn(year, str(year_dir(year)))
    teams = report["report"]["teams"]
    console.print(
        f"登记表：{len(report['report']['bases'])}个基地，管理者{teams['managers']}人、"
        f"辅导员{teams['counsellors']}人、挂职助理{teams['assistants']}人、志愿者"
        f"{teams['volunteers']}人、讲师团{teams['lecturers']}人、理论研究组"
        f"{teams['researchers']}人；文件 " + "、".join(report["files"]),
        highlight=False,
    )


def _deliver(year: int) -> None:
    """Deliver what the network, playgrounds, units and the seminars staged."""
    from tasks.calendar.records import pending_message_ids as calendar_pending
    from tasks.network.records import pending_message_ids as network_pending
    from tasks.notify.delivery import deliver_pending
    from tasks.playgrounds.records import pending_message_ids as playground_pending
    from tasks.units.records import pending_message_ids as units_pending

    ids = (
        network_pending(year)
        + playground_pending([year, year + 1])
        + units_pending(year)
        + calendar_pending(year)
    )
    if ids:
        deliver_pending(message_ids=ids)
