"""One cleaning of people's text for every way in (`tasks.common.text`)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tasks.common.text import UNFIT_CHARACTER, clean_line, clean_text
from tasks.ideas.screening import Submission

UNFIT = ["\x00", "\x1b", "\x7f", "\x85", "\u202e", "\u202a", "\u2066", "\u2069", "\u200f", "\ud800"]


@pytest.mark.parametrize("char", UNFIT)
def test_every_unfit_character_is_stripped(char: str) -> None:
    assert clean_text(f"张{char}三") == "张三"
    assert clean_line(f" 张{char}三 ") == "张三"


def test_line_breaks_and_tabs_stay_in_text_and_fold_in_a_line() -> None:
    assert clean_text("第一行\r\n第二行\r第三行\t完") == "第一行\n第二行\n第三行\t完"
    assert clean_line("王\n\t 五") == "王 五"


@given(st.text())
def test_nothing_unfit_survives_and_cleaning_twice_changes_nothing(text: str) -> None:
    once = clean_text(text)
    assert UNFIT_CHARACTER.search(once) is None
    assert "\x00" not in once and "\r" not in once
    once.encode("utf-8")  # storable
    assert clean_text(once) == once


def test_a_submission_is_cleaned_whichever_way_it_came_in() -> None:
    submission = Submission(
        submitter="\u202e张三",
        phone="138\x0012345678",
        community="嘉兴一居委",
        title="读书会\u2066",
        content="建议\x00每月举办读书会。",
    )
    assert submission.submitter == "张三"
    assert submission.phone == "13812345678"
    assert submission.title == "读书会"
    assert submission.content == "建议每月举办读书会。"
