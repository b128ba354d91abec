"""The pages of the app: one table with each page's menu entry, heading and the role it needs.

app.py builds the menu from it and every page's guard (isokpi.ui.start_page) reads its role from it, so a role is
written in one place. No streamlit here.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from isokpi.auth import ADMIN, QUALITY_LEAD, VIEWER


@dataclass(frozen=True)
class PageSpec:
    script: str  # the page's file, relative to the app's folder
    section: str  # the menu section
    title: str  # in the menu
    heading: str  # at the top of the page
    icon: str  # a Material Symbols name
    url_path: str  # "" for the default page
    role: str  # the least role that may open it
    help: str  # the menu entry's tooltip
    filters: str = ""  # the sidebar filters it reads: "" none, "all", "no standard" (surveys have none)


PAGES: tuple[PageSpec, ...] = (
    PageSpec("pages/overview.py", "Dashboard", "Overview", "Overview", ":material/dashboard:", "", VIEWER,
             "The eight leadership pillars at a glance: status against target, trend, and whether a change is real.", filters="all"),
    PageSpec("pages/pillar.py", "Dashboard", "Pillar", "Pillar", ":material/insights:", "pillar", VIEWER,
             "Every KPI of one pillar as a process-behaviour chart with limits, target, signals and notes.", filters="all"),
    PageSpec("pages/sites.py", "Dashboard", "Sites", "Sites side by side", ":material/compare:", "sites", VIEWER,
             "Every KPI per site at once, each site with its own limits and target, and which sites show signals.", filters="all"),
    PageSpec("pages/training.py", "Dashboard", "Training", "Training", ":material/school:", "training", VIEWER,
             "Hours per employee, mandatory completion, the training matrix and training effectiveness.", filters="all"),
    PageSpec("pages/findings.py", "Dashboard", "Findings", "Findings and corrective actions", ":material/fact_check:",
             "findings", VIEWER,
             "Open, overdue and aging findings, time to close, Pareto by clause and root cause, repeats.", filters="all"),
    PageSpec("pages/surveys.py", "Dashboard", "Surveys", "Surveys", ":material/forum:", "surveys", VIEWER,
             "Favourable answers per pillar with intervals, answer distributions, customer NPS, responses.", filters="no standard"),
    PageSpec("pages/review.py", "Management review", "Review (ISO 9.3)", "Management review", ":material/groups:",
             "review", VIEWER,
             "The ISO 9001 9.3 management review: inputs a) to f) from the data, completeness, the pack."),
    PageSpec("pages/actions.py", "Management review", "Actions", "Actions", ":material/task_alt:", "actions", VIEWER,
             "The register of review decisions and actions, with owners, due dates and status history."),
    PageSpec("pages/data.py", "Data", "Data", "Data", ":material/database:", "data", VIEWER,
             "What is loaded per dataset: rows, date range, last batch and freshness."),
    PageSpec("pages/upload.py", "Data", "Upload", "Upload", ":material/upload_file:", "upload", QUALITY_LEAD,
             "Load CSV or Excel exports: preview, column mapping, validation report, history and undo."),
    PageSpec("pages/admin.py", "Admin", "Admin", "Admin", ":material/admin_panel_settings:", "admin", ADMIN,
             "Assign roles by e-mail and read the audit trail of loads, undos, edits and reviews."),
)  # fmt: skip


def page_at(url_path: str) -> PageSpec:
    """The page served at `url_path` ("" for the default page)."""
    return next(spec for spec in PAGES if spec.url_path == url_path)


def page_of(script: str) -> PageSpec:
    """The page whose script is `script` (a page passes its own __file__)."""
    name = Path(script).name
    for spec in PAGES:
        if Path(spec.script).name == name:
            return spec
    raise KeyError(f"{script} is not a page of the app: add it to isokpi.navigation.PAGES")
