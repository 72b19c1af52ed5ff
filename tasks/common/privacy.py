"""Masking of personal data wherever it is shown to anyone but the person."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

_PHONE = re.compile(r"(?<!\d)(1[3-9]\d)(\d{4})(\d{4})(?!\d)")
_ID_NUMBER = re.compile(r"(?<![0-9A-Za-z])(\d{6})(\d{8})(\d{3}[\dXx])(?![0-9A-Za-z])")


def mask_phone(phone: str) -> str:
    """138****5678; empty stays empty; anything not a mobile number is fully hidden."""
    if not phone:
        return ""
    match = _PHONE.fullmatch(phone)
    return f"{match.group(1)}****{match.group(3)}" if match else "***"


def mask_text(text: str) -> str:
    """Mask every mainland mobile and resident ID number inside free text."""
    text = _ID_NUMBER.sub(lambda m: f"{m.group(1)}********{m.group(3)}", text)
    return _PHONE.sub(lambda m: f"{m.group(1)}****{m.group(3)}", text)


# Scanning (tests and audits): boundaries exclude letters too, so hex digests and UUIDs in
# logs do not read as phone numbers; the masking above is stricter on purpose.
_SCAN_PHONE = re.compile(r"(?<![0-9A-Za-z])1[3-9]\d{9}(?![0-9A-Za-z])")
_SCAN_ID_NUMBER = re.compile(r"(?<![0-9A-Za-z])\d{17}[\dXx](?![0-9A-Za-z])")
# GB 11643-1999: ISO 7064 MOD 11-2 over the first 17 digits.
_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"


@dataclass(frozen=True)
class PersonalNumber:
    """An unmasked mobile or resident ID number found in some text."""

    kind: Literal["phone", "id_number"]
    value: str


def id_number_valid(number: str) -> bool:
    """True if `number` is an 18-character resident ID number whose check character fits."""
    if len(number) != 18 or not number[:17].isdigit():
        return False
    total = sum(int(digit) * weight for digit, weight in zip(number, _ID_WEIGHTS, strict=False))
    return _ID_CHECK[total % 11] == number[17].upper()


def find_personal_numbers(text: str) -> list[PersonalNumber]:
    """Every unmasked mainland mobile number and valid resident ID number in `text`."""
    found = [
        PersonalNumber("id_number", m.group())
        for m in _SCAN_ID_NUMBER.finditer(text)
        if id_number_valid(m.group())
    ]
    found += [PersonalNumber("phone", m.group()) for m in _SCAN_PHONE.finditer(text)]
    return found
