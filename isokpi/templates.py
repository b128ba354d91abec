"""Blank templates per dataset (CSV and .xlsx with an example row), and the dataset reference as Markdown."""

from __future__ import annotations

import csv
import io
from pathlib import Path

from isokpi.datasets import DATASETS, ENUM, SCALE_LABELS, TEXT, Dataset
from isokpi.safety import spreadsheet_cell
from isokpi.survey_tools import DERIVED_RESPONDENT, TOOLS


def example_row(dataset: Dataset) -> list[str]:
    return [column.example for column in dataset.columns]


def template_csv(dataset: Dataset) -> bytes:
    """The CSV template: canonical headers and one example row, UTF-8 with BOM so Excel opens it cleanly."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(dataset.column_names)
    writer.writerow([spreadsheet_cell(value) for value in example_row(dataset)])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def template_xlsx(dataset: Dataset) -> bytes:
    """The .xlsx template: a data sheet with headers and an example row, and a sheet describing each column."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = dataset.name
    sheet.append(dataset.column_names)
    sheet.append([spreadsheet_cell(value) for value in example_row(dataset)])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for column_cells in sheet.columns:
        sheet.column_dimensions[column_cells[0].column_letter].width = max(12, len(str(column_cells[0].value)) + 4)
    about = workbook.create_sheet("columns")
    about.append(["column", "required", "kind", "allowed values", "also accepted as header", "description"])
    for cell in about[1]:
        cell.font = Font(bold=True)
    for column in dataset.columns:
        about.append(
            [
                column.name,
                "yes" if column.required else "",
                column.kind,
                column.allowed_text() if column.kind == ENUM else "",
                ", ".join(column.aliases),
                column.description,
            ]
        )
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def write_templates(directory: str | Path) -> list[Path]:
    """Write <dataset>.csv and <dataset>.xlsx for every dataset into `directory`; return the paths."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for dataset in DATASETS.values():
        for suffix, content in ((".csv", template_csv(dataset)), (".xlsx", template_xlsx(dataset))):
            path = directory / f"{dataset.name}{suffix}"
            path.write_bytes(content)
            written.append(path)
    return written


def datasets_markdown() -> str:
    """docs/datasets.md, generated from the declarations (a test keeps the file current)."""
    lines = [
        "# Datasets",
        "",
        "Generated from `isokpi/datasets.py` by `python -m isokpi docs`; do not edit by hand.",
        "Headers are matched ignoring case, spaces and punctuation, to the column name or any listed alias.",
        'Allowed values are matched the same way ("Major NC" is major_nc).',
        "",
    ]
    for dataset in DATASETS.values():
        lines += [
            f"## `{dataset.name}`: {dataset.title}",
            "",
            dataset.description,
            "",
            f"Key: {' + '.join(dataset.key)}.",
            "",
        ]
        lines += ["| column | required | kind | allowed | also accepted as header |", "|---|---|---|---|---|"]
        for column in dataset.columns:
            allowed = "" if column.kind == TEXT else column.allowed_text()
            if dataset.name == "targets" and column.name == "kpi_id":
                allowed = "a KPI id from docs/kpis.md"
            lines.append(
                f"| `{column.name}` | {'yes' if column.required else ''} | {column.kind} | {allowed} | {', '.join(column.aliases)} |"
            )
        lines.append("")
        if dataset.rules:
            lines += ["Checks across columns (a row that breaks one is reported with this message):", ""]
            lines += [f"- `{rule.column}`: {rule.message}" for rule in dataset.rules]
            lines.append("")
    return "\n".join(lines + wide_survey_markdown())


def wide_survey_markdown() -> list[str]:
    """The answer labels of each scale and the survey tools a mapping's `source` reads, from their declarations."""
    lines = [
        "## Wide survey exports",
        "",
        "A mapping with `[questions]` reads one column per question (README: Wide survey exports). An answer is a",
        "whole number on the scale, or a label: the scale's standard English wording below, matched ignoring case",
        'and spaces ("strongly  AGREE" is Strongly agree), or a wording the mapping\'s `[labels]` table scores.',
        "Any other answer is reported with its row, its question column and the value.",
        "",
        "| scale | answers scored |",
        "|---|---|",
    ]
    for scale, labels in SCALE_LABELS.items():
        lines.append(f"| `{scale}` | {', '.join(f'{label} = {score}' for label, score in labels.items())} |")
    lines += [
        "",
        "A mapping may name its `source`: the export of that survey tool loads as it comes.",
        "",
        "| source | tool | header rows | respondent id | answered on |",
        "|---|---|---|---|---|",
    ]
    for tool in TOOLS.values():
        respondent = f"`{tool.respondent}`" if tool.respondent else f"derived (`{DERIVED_RESPONDENT}`)"
        lines.append(f"| `{tool.name}` | {tool.title} | {tool.header_rows} | {respondent} | `{tool.answered_at}` |")
    lines += [
        "",
        "Qualtrics exports without the third (ImportId) header row are read too. In `[questions]` a question is",
        "named as the tool writes it: its text, a matrix row's statement alone (SurveyMonkey and Qualtrics write",
        '"Question - Statement", Google Forms "Question [Row]"), or for Qualtrics its Q id (`Q1_1`) or QID. The',
        "answered-on date is read in the tool's own form (SurveyMonkey month first with AM/PM, Google Forms with its",
        "time zone) as the day the respondent saw. `isokpi/survey_tools.py` describes each export as relied on.",
        "",
    ]
    return lines


def kpis_markdown() -> str:
    """docs/kpis.md, generated from the KPI catalog and its SQL files."""
    from isokpi.catalog import kpis_of_pillar
    from isokpi.kpis import STATUS_RULE, VARIATION_RULE
    from isokpi.pillars import PILLARS

    lines = [
        "# KPI catalog",
        "",
        "Generated from `isokpi/catalog.py` by `python -m isokpi docs`; do not edit by hand. Each KPI's SQL is in",
        "`isokpi/sql/kpis/`. Use these ids in the `targets` dataset.",
        "",
        f"Status: {STATUS_RULE}",
        "",
        f"Variation roll-up: {VARIATION_RULE}",
        "",
        *statistics_markdown(),
    ]
    for pillar_id, name, question in PILLARS:
        lines += [
            f"## {name} (`{pillar_id}`)",
            "",
            question,
            "",
            "| id | KPI | unit | better | default target | ISO clause | definition |",
            "|---|---|---|---|---|---|---|",
        ]
        for kpi in kpis_of_pillar(pillar_id):
            target = (
                "" if kpi.default_target is None else f"{kpi.default_target:g}" + (" a month" if kpi.per_month else "")
            )
            lines.append(
                f"| `{kpi.id}` | {kpi.name} | {kpi.unit} | {kpi.direction} | {target} | {kpi.clause} | {kpi.definition} |"
            )
        lines.append("")
    return "\n".join(lines)


def statistics_markdown() -> list[str]:
    """The statistics section of docs/kpis.md: how a series is read, from the constants the code uses."""
    from isokpi import stats
    from isokpi.kpis import MIN_POINTS_FOR_LIMITS, PROVISIONAL_SHARE

    near = f"{stats.NEAR_LIMIT:.4g}"
    return [
        "## Statistics: signal, not noise",
        "",
        "Every KPI series, on every page, pack and command, is read by one function, `isokpi.stats.spc`, the NHS",
        '"Making Data Count" method as [NHSRplotthedots](https://github.com/nhs-r-community/NHSRplotthedots)',
        "implements it (`ptd_spc_standard.R`, `ptd_calculate_point_type.R`, `ptd_calculate_assurance_type.R`), with the",
        "MDC team's 2-in-3 rule of its issue #194. `python -m isokpi spc` runs the same function on any series.",
        "",
        f"- **Limits**: mean ± {stats.E2} × the mean moving range of the limit-setting points: the first N with",
        "  `--baseline N` (the pillar page's baseline), else all points of the rebase group. A moving range joins two",
        "  consecutive periods that both have a value. The close-to-limits (two-sigma) lines lie at mean ±",
        f"  {near} × the mean moving range. Outlier screening (`--screen-outliers`; off by default, as in the MDC",
        f"  Excel tool) leaves out moving ranges of {stats.SCREEN_LIMIT} × their mean or more and takes the mean again.",
        f"- **Rules**: a point outside the limits; {stats.RUN_LENGTH} points in a row each strictly higher, or each",
        "  strictly lower, than the one before (a tie breaks the trend); 2 of 3 points in a row beyond the same",
        "  two-sigma line with all three on that side of the mean (points beyond the limits count);",
        f"  {stats.RUN_LENGTH} points in a row on one side of the mean (a point on the mean breaks the run). A rule marks",
        "  every point of its run or trend, and of a 2-in-3 the points beyond the line. No rule looks across a rebase",
        "  point or a gap.",
        "- **A point's class** comes from the first rule that marks it, in that order (outside, trend, 2 of 3, run).",
        "  A trend's side is its direction (a point in two trends takes the later one's); any other rule's side is the",
        "  point's side of the mean. On the KPI's better side it is *improvement*, on the other *concern*; a point no",
        "  rule marks is *common cause*.",
        '- **Variation** is the class of the latest point with a value: not "any signal in the last few periods".',
        "- **Assurance** compares the target in force at the latest point with the latest limits: strictly above the",
        "  upper or strictly below the lower limit gives *pass* or *fail* by the KPI's direction; between the limits, or",
        "  equal to one, *inconsistent*.",
        f"- **Too few points**: with fewer than {MIN_POINTS_FOR_LIMITS} limit-setting points the limits are drawn but",
        "  both verdicts are withheld (`null` in JSON), and the pages say so.",
        "- **Gaps**: a dataset KPI has a point for every period from its first value on; a period without data has no",
        "  value, and breaks moving ranges, runs and trends (it is not bridged). A survey KPI has a point per period",
        "  with a survey wave.",
        "- **Trend beside it**: the Mann-Kendall test (two-sided, normal approximation with tie and continuity",
        "  correction) and Sen's slope per calendar period of the series (per month, quarter or year), with points",
        "  placed on the calendar, so waves six months apart count as six months.",
        "",
        "Where isokpi departs from the R code, it follows the MDC rule the issue states: 2-in-3 counts points beyond",
        "the limits (#194; the R code counts only those between two and three sigma); a gap ends a run or trend (the R",
        "code assumes none); a point that ends a trend and is followed by a tie keeps its trend's direction (the R code",
        "reads the tie as falling); screening leaves moving ranges that are all 0 alone (the R code then has no",
        "limits). `tests/spc_reference.py` transliterates the R functions with these departures marked, and",
        "`tests/test_spc.py` checks both agree point for point on hundreds of random series.",
        "",
        "### Honest series",
        "",
        "- **Look-back windows**: a KPI computed over the 12 months before a period has no value for periods whose",
        "  window reaches before the data starts: staff on record (counted from training records: the month of the",
        "  period's end and the 11 before must lie within the training data), standards awareness coverage, and",
        "  repeat findings (the period must start 12 months or more after the month of the first finding).",
        "- **KPIs on target** starts once every dataset KPI with data has its first value: before that it would be a",
        "  share of fewer, different KPIs. Survey KPIs come and go with their waves and do not hold it back.",
        "- **Repeats**: a nonconformity repeats an earlier one of another audit, on the same clause of the same",
        "  standard at the same site within 365 days, or the one it names in `repeat_of`. Findings of the same audit",
        "  are parts of one finding, not a recurrence.",
        "- **Provisional periods**: training effectiveness and corrective-action effectiveness wait for evaluations",
        "  made after the period. Counting back from the latest period, a period is *provisional* while the share of",
        f"  its items evaluated so far is under {PROVISIONAL_SHARE:.0%} of the median share over the series' periods.",
        "  A provisional point is shown and marked, but left out of the limits, rules, trend, verdicts, the latest",
        "  value and the KPIs-on-target count.",
        "- **Survey intervals (95%)**: a share of answers (favourable %, CSAT) is centred on that share, with a Wilson",
        "  score interval on the effective number of answers: the answers divided by the design effect of answers",
        "  clustered in respondents (the ratio estimator's linearised variance, Kish), never more than the answers",
        "  themselves; it stays within 0-100% and keeps a width at 0% and 100% (the Surveys page's waves use the",
        "  same interval). The engagement index (a mean of",
        "  respondents' 0-100 scores) has a Student t interval clipped to 0-100. The NPS has the adjusted Wald interval",
        "  of Rocks (2016, *The American Statistician*): 3/4 added to promoters and to detractors and 3 to n, then the",
        "  trinomial variance of their difference, clipped to -100..100. It keeps a width at an NPS of 100, and in the",
        "  exact coverage checks of `tests/test_stats.py` (5 to 40 answers) it holds the true NPS 90-98% of the time,",
        "  where the plain normal interval drops to 23% near an NPS of 100.",
        "- **Precision**: every `--json` output carries values, means, limits, slopes and p-values unrounded; a",
        "  p-value is never reported as 0 (it is computed as erfc, and floored at the smallest normal float).",
        "  Rounding belongs to what people read.",
        "",
        "```",
        "python -m isokpi spc FILE.csv --direction higher|lower [--target X] [--baseline N] [--screen-outliers] [--json]",
        "```",
        "",
        "`FILE.csv` has the columns `period,value` (ISO dates, one row per period, in order; an empty value is a",
        'period without data). `--json` prints `{"mean", "lpl", "upl", "variation", "assurance", "points": [{"period",',
        '"value", "mean", "lpl", "upl", "special_cause", "rule"}]}`: `special_cause` is `improvement`, `concern` or',
        "`common_cause` (`null` for a gap), `rule` the rule that set it (`outside_limits`, `trend_of_7`,",
        "`two_of_three_beyond_2sigma`, `run_of_7`), `variation` and `assurance` as in the scorecard or `null`. Bad",
        "input exits with 2 and a message naming the row and the value.",
        "",
        "```",
        "python -m isokpi records KPI_ID --period YYYY-MM|YYYY-Qn|YYYY [--site S] [--department D] [--standard X] [--json]",
        "```",
        "",
        "The records behind one point (a click on a chart opens the same): for a count the records counted, for a",
        "percentage its denominator with `in_numerator` marking the numerator, for a rate the numerator's records;",
        '`--json` prints `{"kpi", "period", "value", "dataset", "records": [{...canonical columns...,',
        '"in_numerator"}]}`. Each KPI\'s selection is in `isokpi/sql/records/`; the README\'s "From a point to its',
        "records\" says how each kind of KPI's value comes from its records. No survey answers of fewer than 5",
        "respondents, and none carries the respondent.",
        "",
    ]
