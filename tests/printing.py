"""Print documents as a clerk would: LibreOffice headless to PDF, then read the PDF back.

Used by the print test of the demo's documents, and as a script that renders the first page of
each document into docs/documents/ for the README:

    learning-district demo            # writes .learning-district/demo/reports/<year>/
    python -m tests.printing .learning-district/demo/reports/2026 docs/documents
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

TOOLS = ("soffice", "pdfinfo", "pdftotext", "pdftoppm")


def missing_tools() -> list[str]:
    return [tool for tool in TOOLS if shutil.which(tool) is None]


def to_pdf(files: list[Path], out: Path) -> dict[str, Path]:
    """Convert every file with one LibreOffice run (its own profile, so runs never collide);
    return file name → PDF. Raises when LibreOffice fails or leaves a file unconverted."""
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="lo-profile-") as profile:
        done = subprocess.run(
            [
                "soffice",
                f"-env:UserInstallation=file://{profile}",
                "--headless",
                "--convert-to",
                "pdf",
                "--outdir",
                str(out),
                *map(str, files),
            ],
            capture_output=True,
            text=True,
            timeout=300,
        )
    if done.returncode != 0:
        raise RuntimeError(f"soffice exited {done.returncode}: {done.stderr[-2000:]}")
    pdfs = {f.name: out / f"{f.stem}.pdf" for f in files}
    unconverted = [
        name for name, pdf in pdfs.items() if not pdf.is_file() or not pdf.stat().st_size
    ]
    if unconverted:
        raise RuntimeError(f"not converted: {unconverted}; {done.stdout[-2000:]}")
    return pdfs


@dataclass(frozen=True)
class PdfInfo:
    pages: int
    width: float  # points
    height: float


def info(pdf: Path) -> PdfInfo:
    text = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True).stdout
    pages = re.search(r"^Pages:\s+(\d+)", text, re.M)
    size = re.search(r"^Page size:\s+([\d.]+) x ([\d.]+) pts", text, re.M)
    assert pages and size, text
    return PdfInfo(int(pages.group(1)), float(size.group(1)), float(size.group(2)))


def page_texts(pdf: Path) -> list[str]:
    """The text of each page, in reading order."""
    text = subprocess.run(
        ["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout
    return text.split("\f")[: info(pdf).pages]


def first_page_png(pdf: Path, out: Path, *, dpi: int = 60) -> Path:
    """The first page as a small PNG (`out` without suffix gets `.png`)."""
    subprocess.run(
        ["pdftoppm", "-r", str(dpi), "-png", "-f", "1", "-l", "1", "-singlefile", str(pdf),
         str(out.with_suffix(""))],
        check=True,
    )  # fmt: skip
    return out.with_suffix(".png")


def render_docs(reports: Path, docs: Path) -> list[Path]:
    """Every Word document and workbook of a year's reports, first page as a PNG in `docs`,
    and the KPI chart scaled down beside them."""
    from PIL import Image

    files = sorted(p for p in reports.iterdir() if p.suffix in (".docx", ".xlsx"))
    docs.mkdir(parents=True, exist_ok=True)
    written = []
    with tempfile.TemporaryDirectory() as tmp:
        for name, pdf in to_pdf(files, Path(tmp)).items():
            stem = re.sub(r"-\d{4}$", "", Path(name).stem)
            written.append(first_page_png(pdf, docs / stem))
    for chart in reports.glob("kpi-*.png"):
        image = Image.open(chart)
        image.thumbnail((900, 900))
        target = docs / "kpi-chart.png"
        image.save(target)
        written.append(target)
    for path in written:  # a small palette keeps the repository light
        colors = 128 if path.name == "kpi-chart.png" else 32
        Image.open(path).convert("RGB").quantize(colors=colors).save(path, optimize=True)
    return written


if __name__ == "__main__":
    for path in render_docs(Path(sys.argv[1]), Path(sys.argv[2])):
        sys.stdout.write(f"{path} ({path.stat().st_size // 1024} kB)\n")
