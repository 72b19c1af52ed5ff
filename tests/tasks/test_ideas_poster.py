"""The campaign's poster: the form's QR code and a printable Word poster with the campaign text."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from docx import Document
from PIL import Image

from models.profile.schema import DistrictProfile
from tasks.ideas.campaign import open_campaign
from tasks.ideas.poster import NoCampaign, write_poster


def test_the_poster_carries_the_qr_code_of_the_form_and_the_campaign_text(
    registry: DistrictProfile, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from models.settings import get_settings

    monkeypatch.setenv("LD_PUBLIC_URL", "https://portal.example.gov.cn")
    get_settings.cache_clear()
    with pytest.raises(NoCampaign, match="尚未启动"):
        write_poster(year=2026, out=tmp_path)
    open_campaign(year=2026, start=date(2026, 9, 1))
    png, docx = write_poster(year=2026, out=tmp_path)
    image = Image.open(png.path)
    assert image.format == "PNG" and image.size[0] == image.size[1] >= 300
    document = Document(docx.path)
    text = "\n".join(p.text for p in document.paragraphs)
    assert "2026年度学习型城区建设“金点子”征集" in text
    assert "2026年9月1日至2026年9月30日" in text
    assert "https://portal.example.gov.cn/ideas" in text
    assert "{{" not in text and "{%" not in text
    assert len(document.inline_shapes) == 1  # the QR code
