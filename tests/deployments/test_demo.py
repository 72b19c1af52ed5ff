"""`learning-district demo` as a newcomer runs it: its own server, no tracebacks."""

from __future__ import annotations

import json
import re

import icalendar

from tests.demo_year import DemoYear
from tests.messages import lint_message


def test_demo_runs_clean(demo_year: DemoYear) -> None:
    demo_year.check()
    home = demo_year.home
    output = demo_year.output
    assert "Traceback" not in output and "Error" not in output, output
    assert "replaced by" in output
    assert "0 messages sent" in output  # the re-run sent nothing twice
    outbox = demo_year.demo_dir / "outbox.jsonl"
    lines = outbox.read_text(encoding="utf-8").splitlines()
    assert len(lines) > 15
    # the year is finished: every message delivered, and all of them in the outbox it names
    closing = re.search(r"messages of the year: (\d+) delivered, (\d+) pending", output)
    assert closing is not None, output
    assert int(closing.group(2)) == 0 and int(closing.group(1)) == len(lines), output
    assert str(outbox.resolve()) in output.replace("\n", "")
    # read as their recipients would: no command, no path of the data dir, no ISO date, no rule
    data_dir = str((home / "data").resolve())
    asking = ("【会议通知】", "【会议变更】", "【宣传资料发放", "【回复提醒】")
    answerable = 0
    for line in lines:
        message = json.loads(line)
        text = f"{message['title']}\n{message['body']}"
        assert "learning-district " not in text, text
        assert data_dir not in text and str(home) not in text, text
        bare = re.sub(r"https?://\S+", "", text)  # a link's random token may hold "-R12"
        assert not re.search(r"\d{4}-\d{2}-\d{2}", bare), text
        assert not re.search(r"(?<![A-Za-z0-9])R\d+(\.\d+)?", bare), text
        assert lint_message(message["title"], message["body"], data_dir=data_dir) == [], text
        to_teacher = message["body"].split("\n", 1)[0].endswith("老师：")
        if message["title"].startswith(asking) or to_teacher:  # asks: carries its portal link
            assert re.search(r"/r/[A-Za-z0-9_-]{40,}", message["body"]), text
            answerable += 1
    assert answerable > 0
    # the calendar files invitees import (and download from their link) read the same way
    files = sorted((home / "data").rglob("*.ics"))
    assert files
    for path in files:
        calendar = icalendar.Calendar.from_ical(path.read_bytes())
        for event in calendar.walk("VEVENT"):
            shown = [str(event.get(key, "")) for key in ("SUMMARY", "LOCATION", "DESCRIPTION")]
            assert shown[2], path.name  # says who is invited and whom to call
            for text in shown:
                assert lint_message("", text, data_dir=data_dir) == [], (path.name, text)
