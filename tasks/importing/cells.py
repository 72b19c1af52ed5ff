"""Cell parsers: a cell's trimmed text into a value, or a CellError a clerk reads."""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

from models.secondment import RATINGS
from tasks.importing.columns import (
    CellError,
    show_cell,
)

MAX_YEARS_TEACHING = 60
YEAR_RANGE = (1900, 2100)  # any year column: a wider value is a typo, not history


def parse_text(text: str) -> str:
    """Text as is (already trimmed)."""
    return text


def parse_decimal(text: str) -> Decimal:
    try:
        number = Decimal(text.replace(",", ""))
    except InvalidOperation:
        raise CellError(f"{show_cell(text)}不是数字") from None
    if not number.is_finite():
        raise CellError(f"{show_cell(text)}不是数字")
    # 1e999999 is a finite Decimal, but turning it into an int or float hangs or overflows
    if number and number.adjusted() >= 15:
        raise CellError(f"{show_cell(text)}过大，超出此列的范围")
    return number


def _whole(text: str) -> int:
    number = parse_decimal(text)
    if number != number.to_integral_value():
        raise CellError(f"{show_cell(text)}不是整数")
    return int(number)


def parse_count(text: str) -> int:
    """A whole number ≥ 0 ("5" or "5.0", not "5.5")."""
    value = _whole(text)
    if value < 0:
        raise CellError(f"{value}是负数，应为0或以上")
    return value


def parse_years_teaching(text: str) -> int:
    """Years of teaching: a whole number from 0 to 60."""
    value = parse_count(text)
    if value > MAX_YEARS_TEACHING:
        raise CellError(f"{value}年超过{MAX_YEARS_TEACHING}年，请核对")
    return value


def parse_year(text: str) -> int:
    """The year of a record: 2000 to 2100, required."""
    year = parse_optional_year(text)
    if year is None or not 2000 <= year <= 2100:
        raise CellError(f"{show_cell(text)}不是2000至2100之间的年份")
    return year


def parse_optional_year(text: str) -> int | None:
    """A year as a whole number from 1900 to 2100, or None for an empty cell."""
    if not text:
        return None
    year = _whole(text)
    if not YEAR_RANGE[0] <= year <= YEAR_RANGE[1]:
        raise CellError(f"{year}不是{YEAR_RANGE[0]}至{YEAR_RANGE[1]}之间的年份")
    return year


def parse_score(text: str) -> float:
    """A number from 0 to 100."""
    number = parse_decimal(text)
    if not 0 <= number <= 100:
        raise CellError(f"{text}不在0至100之间")
    return float(number)


_TRUE = {"是", "true", "1", "yes", "y"}
_FALSE = {"否", "false", "0", "no", "n"}


def parse_yes_no(text: str) -> bool:
    """是/否 (also true/false, 1/0, yes/no, Y/N); an empty optional cell is 否."""
    folded = text.casefold()
    if folded in _TRUE:
        return True
    if folded in _FALSE or not folded:
        return False
    raise CellError(f"{show_cell(text)}不是“是”或“否”")


_RATINGS = dict(zip(("excellent", "good", "pass", "fail"), RATINGS, strict=True))


def parse_rating(text: str) -> str:
    """An annual rating stored in Chinese: 优秀/良好/合格/不合格 or excellent/good/pass/fail."""
    if text in RATINGS:
        return text
    rating = _RATINGS.get(text.casefold())
    if rating is None:
        raise CellError(f"{show_cell(text)}不是{'、'.join(RATINGS)}之一")
    return rating


_LIST_SEPARATORS = re.compile(r"[;；、,，]")


def parse_name_list(text: str) -> list[str]:
    """Names separated by ; ； 、 , or ，, without empties or repeats, in their order."""
    names: list[str] = []
    for part in _LIST_SEPARATORS.split(text):
        name = part.strip()
        if name and name not in names:
            names.append(name)
    return names


_MOBILE = re.compile(r"1[3-9]\d{9}")
_PHONE_NOISE = re.compile(r"[\s\-()]")


def parse_phone(text: str) -> str:
    """An 11-digit mainland mobile number, spaces, dashes and +86 removed; empty allowed.

    The number is never echoed in the message: phone numbers are PII and messages reach logs.
    """
    digits = _PHONE_NOISE.sub("", text)
    for prefix in ("+86", "0086"):
        if digits.startswith(prefix):
            digits = digits.removeprefix(prefix)
    if len(digits) == 13 and digits.startswith("86"):
        digits = digits[2:]
    if digits and not _MOBILE.fullmatch(digits):
        count = sum(ch.isdigit() for ch in digits)
        raise CellError(f"不是以13至19开头的11位手机号码（填了{count}位数字）")
    return digits
