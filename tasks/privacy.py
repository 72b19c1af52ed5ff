"""Masking of personal data wherever it is shown to anyone but the person."""

from __future__ import annotations

import re

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
