"""Regenerate the README's screenshots: the overview and a pillar page, on fresh demo data.

    python scripts/screenshots.py [--out docs/screenshots]

Starts the real app on a free localhost port over a temporary demo database and photographs it with
Debian's Chromium (apt-get install chromium) driven by Playwright.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from isokpi.db import resolve_target  # noqa: E402
from isokpi.demo import load_demo  # noqa: E402
from isokpi.opening import open_target  # noqa: E402
from tests.browser.conftest import streamlit_server, wait_for_app  # noqa: E402
from tests.conftest import CHROMIUM, CHROMIUM_ARGS  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=str(ROOT / "docs" / "screenshots"))
    args = parser.parse_args()
    if not CHROMIUM.exists():
        sys.exit("Debian chromium is needed: apt-get install chromium")
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory(prefix="isokpi-shots-") as tmp:
        db_path = Path(tmp) / "demo.duckdb"
        database = open_target(resolve_target(db_path))
        load_demo(database, as_of=dt.date.today())
        database.close()
        with streamlit_server(db_path) as base, sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
            page = browser.new_page(viewport={"width": 1440, "height": 1100}, device_scale_factor=1)
            for name, path, ready in (
                ("overview", "", "[class*='st-key-tile-']"),
                ("pillar-monitoring-review", "pillar?pillar=monitoring_review", ".js-plotly-plot .main-svg"),
            ):
                page.goto(f"{base}/{path}")
                wait_for_app(page)
                page.locator(ready).first.wait_for(timeout=60_000)
                page.wait_for_timeout(1500)  # let plotly finish its transitions
                target = out / f"{name}.png"
                page.screenshot(path=str(target), full_page=False)
                print(target)
            browser.close()


if __name__ == "__main__":
    main()
