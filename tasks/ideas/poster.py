"""The campaign's poster for notice boards (R7.3): the QR code of the idea form and the text.

`ideas poster --year Y` writes `<data dir>/reports/<year>/ideas-qr-<year>.png` (the form's
address as a QR code, for any other print) and `ideas-poster-<year>.docx` (A4, the campaign's
theme, dates, how to submit, the QR code, the office's contact), filled from the template
`ideas_poster` a district may restyle like every other document.
"""

from __future__ import annotations

from pathlib import Path

import qrcode
from qrcode.constants import ERROR_CORRECT_M

from models.settings import get_settings
from tasks.common.documents import WrittenFile, render_docx, year_dir, zh_date
from tasks.ideas.public import CampaignView, campaign_view

QR_WIDTH_MM = 60.0


class NoCampaign(ValueError):
    """Asked for the poster of a year whose campaign was never opened."""


def form_address(base: str | None = None) -> str:
    """The idea form's public address (`LD_PUBLIC_URL/ideas`)."""
    return f"{(base or get_settings().public_url).rstrip('/')}/ideas"


def write_qr(text: str, path: Path) -> Path:
    """TEXT as a QR code PNG (error correction M: it survives a smudge or a staple)."""
    code = qrcode.QRCode(error_correction=ERROR_CORRECT_M, box_size=12, border=4)
    code.add_data(text)
    code.make(fit=True)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.stem}.tmp.png")
    code.make_image().save(str(tmp))
    tmp.replace(path)
    return path


def poster_context(view: CampaignView, url: str) -> dict[str, object]:
    return {
        "heading": view.heading,
        "year": view.year,
        "theme": view.theme,
        "collecting_from": zh_date(view.collecting_from),
        "collecting_to": zh_date(view.collecting_to),
        "publish_on": zh_date(view.publish_on),
        "url": url,
        "title_max": view.title_max,
        "content_min": view.content_min,
        "content_max": view.content_max,
        "office": view.contact.model_dump(),
        "issued_on": zh_date(view.collecting_from),
    }


def write_poster(*, year: int, out: Path | None = None) -> list[WrittenFile]:
    """The QR code and the printable poster of YEAR's campaign; refused for an unopened year."""
    view = campaign_view(year)
    if view is None:
        raise NoCampaign(f"{year}年度金点子征集尚未启动，请先启动征集")
    url = form_address()
    folder = out or year_dir(year)
    png = write_qr(url, folder / f"ideas-qr-{year}.png")
    docx = render_docx(
        "ideas_poster",
        poster_context(view, url),
        folder / f"ideas-poster-{year}.docx",
        images={"qr": (png, QR_WIDTH_MM)},
    )
    return [
        WrittenFile(label="金点子征集表单二维码", path=str(png)),
        WrittenFile(label="金点子征集海报", path=str(docx)),
    ]
