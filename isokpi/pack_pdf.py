"""The review pack as PDF: the HTML pack (pack_html) printed by headless Chromium, so the PDF shows the very words
and process-behaviour charts of the HTML, on A4 landscape with the review's title and period, who closed it and
when, and page numbers in every page's margins.

Chromium runs as a separate process on a private copy of the page and a throwaway profile, with every host name
unresolvable, so nothing leaves the machine. Without Chromium, PdfEngineMissing says what to install.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from collections.abc import Mapping
from pathlib import Path

from isokpi.errors import IsokpiError
from isokpi.pack_html import html_page

CHROMIUM_VARIABLE = "ISOKPI_CHROMIUM"
CANDIDATES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable", "/usr/bin/chromium")
TIMEOUT = 300  # seconds: the page embeds plotly.js and draws ~20 charts; a busy 2-core machine takes ~20 s
FLAGS = (
    "--headless",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-extensions",
    "--disable-default-apps",
    "--host-resolver-rules=MAP * ~NOTFOUND",  # the page needs no network; nothing may leave the machine
    "--no-pdf-header-footer",  # the page's own margins carry title, state and page numbers
)


class PdfEngineMissing(IsokpiError):
    """No Chromium to print the pack with; the message says what to install."""


class PdfFailed(IsokpiError):
    """Chromium ran but made no PDF; the message says what it reported."""


def chromium(environ: Mapping[str, str] = os.environ) -> Path | None:
    """The Chromium to print with: $ISOKPI_CHROMIUM, else the first of CANDIDATES found; None without one."""
    chosen = environ.get(CHROMIUM_VARIABLE, "").strip()
    if chosen:
        path = Path(chosen)
        return path if path.is_file() and os.access(path, os.X_OK) else None
    for name in CANDIDATES:
        found = shutil.which(name)
        if found:
            return Path(found)
    return None


def missing_message(environ: Mapping[str, str] = os.environ) -> str:
    """What is missing and how to get it, for the CLI and the Review page."""
    chosen = environ.get(CHROMIUM_VARIABLE, "").strip()
    if chosen:
        return (
            f"the PDF pack is printed by Chromium, and {CHROMIUM_VARIABLE}={chosen} is not an executable file: point "
            "it at Chromium or Chrome, or unset it to use the chromium on the PATH"
        )
    return (
        "the PDF pack is printed by Chromium, which is not installed here: install it (Debian or Ubuntu: "
        "apt-get install chromium) or set ISOKPI_CHROMIUM to a Chromium or Chrome executable. Meanwhile the HTML "
        "pack prints the same pages from any browser (File > Print > Save as PDF)."
    )


def pdf_bytes(record: dict, previous: dict | None = None) -> bytes:
    """The pack as PDF: the HTML pack printed by headless Chromium. PdfEngineMissing without Chromium."""
    engine = chromium()
    if engine is None:
        raise PdfEngineMissing(missing_message())
    with tempfile.TemporaryDirectory(prefix="isokpi-pdf-") as work:
        page, out = Path(work) / "pack.html", Path(work) / "pack.pdf"
        page.write_text(html_page(record, previous), encoding="utf-8")
        command = [str(engine), *FLAGS, f"--user-data-dir={Path(work) / 'profile'}", f"--print-to-pdf={out}"]
        if hasattr(os, "geteuid") and os.geteuid() == 0:
            command.append("--no-sandbox")  # Chromium refuses to run as root inside its sandbox
        try:
            finished = subprocess.run(
                [*command, page.as_uri()], capture_output=True, text=True, timeout=TIMEOUT, check=False
            )
        except subprocess.TimeoutExpired:
            raise PdfFailed(f"Chromium did not finish printing the pack within {TIMEOUT} s; try again") from None
        pdf = out.read_bytes() if out.exists() else b""
        if not pdf.startswith(b"%PDF"):
            reported = [line for line in (finished.stderr or "").splitlines() if line.strip()][-3:]
            raise PdfFailed(
                f"Chromium ({engine}) made no PDF (exit code {finished.returncode})"
                + (f": {' / '.join(reported)}" if reported else "")
            )
        return pdf
