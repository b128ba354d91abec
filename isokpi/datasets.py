"""The four datasets, declared once: columns, types, allowed values, header aliases, keys.

Validation, templates, the generated docs and the upload page all read these declarations.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from isokpi.catalog import KPI_IDS
from isokpi.errors import InputError
from isokpi.pillars import PILLAR_IDS, PILLAR_NAMES

# Column kinds. Each maps to one DuckDB type and one parsing rule in isokpi/validate.py.
TEXT = "text"  # free text, trimmed
ID = "id"  # identifier: text, leading zeros kept
DATE = "date"
NUMBER = "number"
BOOL = "bool"
ENUM = "enum"

SQL_TYPES = {
    TEXT: "VARCHAR",
    ID: "VARCHAR",
    DATE: "DATE",
    NUMBER: "DOUBLE",
    BOOL: "BOOLEAN",
    ENUM: "VARCHAR",
}

# How a yes/no column's values are read (case-insensitive).
YES_TOKENS = frozenset({"yes", "y", "true", "t", "1", "x", "mandatory", "required", "ja", "oui", "si"})
NO_TOKENS = frozenset({"no", "n", "false", "f", "0", "optional", "not required", "nein", "non"})

# Excel's own limit for a cell; a longer field is a broken export, not a finding description.
MAX_TEXT_LENGTH = 32_767


def normalize_token(text: str) -> str:
    """Lower-case and collapse everything but letters and digits to '_' ("Major NC" -> "major_nc")."""
    return re.sub(r"[^a-z0-9]+", "_", text.strip().lower()).strip("_")


def normalize_header(text: str) -> str:
    """Header comparison key: letters and digits only ("Finding ID" -> "findingid")."""
    return re.sub(r"[^a-z0-9]+", "", text.strip().lower())


@dataclass(frozen=True)
class Column:
    name: str
    kind: str
    required: bool = False
    description: str = ""
    aliases: tuple[str, ...] = ()
    # ENUM: canonical value -> accepted spellings (the canonical value itself is always accepted).
    values: dict[str, tuple[str, ...]] = field(default_factory=dict)
    minimum: float | None = None
    maximum: float | None = None
    minimum_exclusive: bool = False
    example: str = ""

    @property
    def sql_type(self) -> str:
        return SQL_TYPES[self.kind]

    def value_tokens(self) -> dict[str, str]:
        """Normalised spelling -> canonical value, for ENUM columns."""
        tokens: dict[str, str] = {}
        for canonical, spellings in self.values.items():
            for spelling in (canonical, *spellings):
                tokens[normalize_token(spelling)] = canonical
        return tokens

    def allowed_text(self) -> str:
        """The allowed values as a user reads them in an error message."""
        if self.kind == ENUM:
            return ", ".join(self.values)
        if self.kind == NUMBER:
            low = "" if self.minimum is None else f"{'>' if self.minimum_exclusive else '>='} {self.minimum:g}"
            high = "" if self.maximum is None else f"<= {self.maximum:g}"
            return "a number " + " and ".join(part for part in (low, high) if part) if (low or high) else "a number"
        if self.kind == DATE:
            return "a date such as 2025-03-31 (day-first or month-first with / . - also accepted)"
        if self.kind == BOOL:
            return "yes or no"
        return "text"


@dataclass(frozen=True)
class Rule:
    """A check across columns: when `condition` (SQL over the typed row) holds, report `message` at `column`,
    showing the value of `value_sql`."""

    column: str
    condition: str
    message: str
    value_sql: str


@dataclass(frozen=True)
class Dataset:
    name: str
    title: str
    description: str
    columns: tuple[Column, ...]
    key: tuple[str, ...]
    # The date that places a row in a period (for freshness and date ranges).
    date_column: str
    rules: tuple[Rule, ...] = ()  # checks across columns, after every column's own

    @property
    def column_names(self) -> list[str]:
        return [column.name for column in self.columns]

    def column(self, name: str) -> Column:
        for column in self.columns:
            if column.name == name:
                return column
        raise KeyError(name)

    @property
    def required(self) -> list[str]:
        return [column.name for column in self.columns if column.required]

    @property
    def versions_table(self) -> str:
        return f"{self.name}_versions"

    @property
    def stored_key(self) -> str:
        """The column the versions table is matched on: the key column itself, or `_key` for a composite key."""
        return self.key[0] if len(self.key) == 1 else "_key"

    def header_lookup(self) -> dict[str, str]:
        """Normalised header -> canonical column name, from names and aliases."""
        lookup: dict[str, str] = {}
        for column in self.columns:
            for spelling in (column.name, *column.aliases):
                lookup.setdefault(normalize_header(spelling), column.name)
        return lookup


STANDARDS = {
    "ISO 9001": ("9001", "iso9001", "qms", "quality"),
    "ISO 14001": ("14001", "iso14001", "ems", "environment", "environmental"),
    "ISO 45001": ("45001", "iso45001", "ohs", "ohsms", "health and safety", "safety"),
    "ISO 22000": ("22000", "iso22000", "fsms", "food safety"),
    "ISO 27001": ("27001", "iso27001", "isms", "information security"),
}

EFFECTIVENESS = {
    "effective": ("yes", "y", "effective", "eff"),
    "partially_effective": ("partial", "partly", "partly effective", "partially"),
    "not_effective": ("no", "n", "ineffective", "not effective"),
    "not_evaluated": ("not evaluated", "pending", "n/a", "na", "tbd"),
}

SITE = Column(
    "site", TEXT, description="Site or plant.", aliases=("location", "plant", "facility", "site name"), example="Leeds"
)
DEPARTMENT = Column(
    "department",
    TEXT,
    description="Department or function.",
    aliases=("dept", "function", "business unit", "org unit", "area"),
    example="Production",
)

TRAINING = Dataset(
    name="training",
    title="Training records",
    description="One row per employee per course assignment, from the HR or learning system.",
    key=("record_id",),
    date_column="completed_on",
    columns=(
        Column(
            "record_id",
            ID,
            required=True,
            description="Unique id of the training record.",
            aliases=("record", "training id", "training record id", "id", "record no", "record number"),
            example="TR-000123",
        ),
        Column(
            "employee_id",
            ID,
            required=True,
            description="Employee id (kept as text: leading zeros stay).",
            aliases=(
                "employee",
                "employee number",
                "employee no",
                "emp id",
                "staff id",
                "person id",
                "personnel number",
            ),
            example="00417",
        ),
        Column(
            "department",
            TEXT,
            required=True,
            description=DEPARTMENT.description,
            aliases=DEPARTMENT.aliases,
            example="Production",
        ),
        SITE,
        Column(
            "course",
            TEXT,
            required=True,
            description="Course or module title.",
            aliases=("course name", "course title", "training", "module", "training title", "title"),
            example="Internal auditor refresher",
        ),
        Column(
            "category",
            TEXT,
            description="Course category (for the training matrix).",
            aliases=("course category", "type", "training type", "training category"),
            example="Quality",
        ),
        Column(
            "standard",
            ENUM,
            description="The ISO standard the course serves, if any.",
            aliases=("iso standard", "management system", "iso"),
            values=STANDARDS,
            example="ISO 9001",
        ),
        Column(
            "hours",
            NUMBER,
            required=True,
            description="Training hours (more than 0, at most 168 = one week).",
            aliases=("duration", "duration hours", "training hours", "hrs", "duration h"),
            minimum=0,
            minimum_exclusive=True,
            maximum=168,
            example="3.5",
        ),
        Column(
            "status",
            ENUM,
            description="planned, completed, overdue or cancelled.",
            aliases=("completion status", "training status", "state"),
            values={
                "planned": ("scheduled", "assigned", "not started", "booked", "enrolled"),
                "completed": ("complete", "done", "passed", "finished", "attended"),
                "overdue": ("late", "expired", "past due"),
                "cancelled": ("canceled", "withdrawn", "void"),
            },
            example="completed",
        ),
        Column(
            "due_date",
            DATE,
            description="When the training is due.",
            aliases=("due", "due on", "deadline", "required by", "target date"),
            example="2025-03-31",
        ),
        Column(
            "completed_on",
            DATE,
            description="When it was completed.",
            aliases=("completed", "completion date", "date completed", "completed date", "finished on"),
            example="2025-03-12",
        ),
        Column(
            "expires_on",
            DATE,
            description="When the qualification lapses (refresher due); used by the training matrix.",
            aliases=("expiry", "expiry date", "expiration date", "valid until", "expires", "renewal date"),
            example="2027-03-12",
        ),
        Column(
            "is_mandatory",
            BOOL,
            description="Whether the course is mandatory for the role.",
            aliases=("mandatory", "required", "compulsory", "is required"),
            example="yes",
        ),
        Column(
            "effectiveness",
            ENUM,
            description="Outcome of the effectiveness evaluation (ISO 9001 7.2 d).",
            aliases=("effectiveness evaluation", "training effectiveness", "evaluation", "effective"),
            values=EFFECTIVENESS,
            example="effective",
        ),
    ),
    rules=(
        Rule(
            "completed_on",
            "status = 'completed' AND _d_completed_on IS NULL",
            "status is completed but completed_on is empty: add the completion date",
            "''",
        ),
    ),
)

FINDINGS = Dataset(
    name="findings",
    title="Audit findings",
    description="Nonconformities, observations and improvement opportunities, with their corrective actions.",
    key=("finding_id",),
    date_column="raised_on",
    columns=(
        Column(
            "finding_id",
            ID,
            required=True,
            description="Unique id of the finding.",
            aliases=(
                "finding",
                "finding no",
                "finding number",
                "nc id",
                "nc number",
                "ncr",
                "ncr number",
                "id",
                "reference",
            ),
            example="F-2025-014",
        ),
        Column(
            "audit_id",
            ID,
            description="Audit the finding was raised in.",
            aliases=("audit", "audit no", "audit number", "audit ref"),
            example="A-2025-03",
        ),
        Column(
            "audit_type",
            ENUM,
            required=True,
            description="Kind of audit.",
            aliases=("type of audit", "audit kind", "audit category"),
            values={
                "internal": ("internal audit", "first party", "1st party"),
                "external": ("external audit", "third party", "3rd party"),
                "certification": (
                    "certification audit",
                    "surveillance",
                    "surveillance audit",
                    "recertification",
                    "registrar",
                ),
                "supplier": ("supplier audit", "second party", "2nd party", "vendor"),
                "customer": ("customer audit", "client audit"),
            },
            example="internal",
        ),
        Column(
            "standard",
            ENUM,
            required=True,
            description="ISO standard audited.",
            aliases=("iso standard", "management system", "iso"),
            values=STANDARDS,
            example="ISO 9001",
        ),
        Column(
            "clause",
            TEXT,
            description="Clause of the standard (e.g. 8.5.1).",
            aliases=("iso clause", "requirement", "clause no", "clause number"),
            example="8.5.1",
        ),
        SITE,
        Column(
            "department", TEXT, description=DEPARTMENT.description, aliases=DEPARTMENT.aliases, example="Production"
        ),
        Column(
            "process",
            TEXT,
            description="Process concerned.",
            aliases=("process name", "process area"),
            example="Production control",
        ),
        Column(
            "severity",
            ENUM,
            required=True,
            description="major_nc, minor_nc, observation or ofi (opportunity for improvement).",
            aliases=("grade", "classification", "finding type", "category", "rating", "level"),
            values={
                "major_nc": (
                    "major",
                    "major nonconformity",
                    "major non conformity",
                    "major non-conformance",
                    "major nonconformance",
                    "cat 1",
                    "category 1",
                ),
                "minor_nc": (
                    "minor",
                    "minor nonconformity",
                    "minor non conformity",
                    "minor non-conformance",
                    "minor nonconformance",
                    "cat 2",
                    "category 2",
                ),
                "observation": ("obs", "concern", "area of concern"),
                "ofi": (
                    "opportunity for improvement",
                    "improvement opportunity",
                    "improvement",
                    "recommendation",
                    "ofi",
                ),
            },
            example="minor_nc",
        ),
        Column(
            "source",
            TEXT,
            description="Where it came from (audit programme, complaint, ...).",
            aliases=("origin", "raised by"),
            example="Internal audit programme",
        ),
        Column(
            "description",
            TEXT,
            description="What was found.",
            aliases=("details", "finding description", "finding text", "statement", "nonconformity"),
            example="Calibration record missing for gauge G-17",
        ),
        Column(
            "raised_on",
            DATE,
            required=True,
            description="Date raised.",
            aliases=(
                "raised",
                "date raised",
                "opened",
                "opened on",
                "date",
                "finding date",
                "issue date",
                "created",
                "created on",
                "audit date",
            ),
            example="2025-03-04",
        ),
        Column(
            "due_on",
            DATE,
            description="Corrective action due date.",
            aliases=("due", "due date", "target date", "deadline"),
            example="2025-04-03",
        ),
        Column(
            "closed_on",
            DATE,
            description="Date closed (not before raised_on).",
            aliases=("closed", "date closed", "closure date", "close date", "completed on"),
            example="2025-03-28",
        ),
        Column(
            "status",
            ENUM,
            required=True,
            description="open, in_progress, closed, verified or cancelled.",
            aliases=("state", "finding status", "action status"),
            values={
                "open": ("new", "raised", "not started", "pending"),
                "in_progress": ("in progress", "ongoing", "wip", "started", "working"),
                "closed": ("done", "completed", "complete", "resolved"),
                "verified": ("verified closed", "closed verified", "effective", "verified effective"),
                "cancelled": ("canceled", "withdrawn", "void", "rejected"),
            },
            example="closed",
        ),
        Column(
            "root_cause",
            TEXT,
            description="Root cause category.",
            aliases=("root cause category", "cause", "cause category", "rca"),
            example="Procedure not followed",
        ),
        Column(
            "owner",
            TEXT,
            description="Action owner.",
            aliases=("action owner", "responsible", "assignee", "assigned to"),
            example="J. Smith",
        ),
        Column(
            "repeat_of",
            ID,
            description="finding_id of an earlier finding this one repeats.",
            aliases=("repeat", "recurrence of", "previous finding", "related finding"),
            example="",
        ),
        Column(
            "effectiveness",
            ENUM,
            description="Corrective-action effectiveness review.",
            aliases=("effectiveness check", "effectiveness review", "ca effectiveness", "action effectiveness"),
            values=EFFECTIVENESS,
            example="effective",
        ),
    ),
    rules=(
        Rule(
            "closed_on",
            "closed_on < raised_on",
            "closed_on is before raised_on: a finding cannot close before it is raised; correct either date",
            "closed_on",
        ),
        Rule(
            "closed_on",
            "status IN ('closed', 'verified') AND _d_closed_on IS NULL",
            "status is closed or verified but closed_on is empty: add the date it closed (days to close depend on it)",
            "''",
        ),
        Rule(
            "due_on",
            "due_on < raised_on",
            "due_on is before raised_on: the action cannot be due before the finding is raised; correct either date",
            "due_on",
        ),
    ),
)

PILLAR_VALUES = {pillar: (PILLAR_NAMES[pillar],) for pillar in PILLAR_IDS}
PILLAR_VALUES["vision_strategy"] += ("vision", "strategy", "vision and strategy")
PILLAR_VALUES["resources"] += ("resource allocation", "resource")
PILLAR_VALUES["culture"] += ("culture of excellence", "excellence", "continuous improvement")
PILLAR_VALUES["training"] += ("training and development", "development", "competence")
PILLAR_VALUES["monitoring_review"] += ("monitoring and review", "monitoring", "review")
PILLAR_VALUES["recognition_learning"] += (
    "recognition",
    "learning",
    "recognition and learning",
    "celebrating successes",
)
PILLAR_VALUES["stakeholders"] += ("stakeholder engagement", "stakeholder")

SCALES = {
    "likert4": ("likert 4", "4 point", "4pt", "1-4"),
    "likert5": ("likert 5", "likert", "5 point", "5pt", "1-5"),
    "likert7": ("likert 7", "7 point", "7pt", "1-7"),
    "nps10": ("nps", "0-10", "net promoter", "nps 10"),
    "csat5": ("csat", "csat 5", "satisfaction 5"),
}
# Inclusive score range of each scale, and the scores counted as favourable.
SCALE_RANGES = {"likert4": (1, 4), "likert5": (1, 5), "likert7": (1, 7), "nps10": (0, 10), "csat5": (1, 5)}
FAVOURABLE_FROM = {"likert4": 3, "likert5": 4, "likert7": 5, "nps10": 9, "csat5": 4}

STAKEHOLDERS = ("employee", "customer", "supplier", "investor")
# An answer without a stakeholder belongs to the one its survey_type names ("customer_nps"), else to this one.
DEFAULT_STAKEHOLDER = "employee"
_SCALE_LOWS = " ".join(f"WHEN '{scale}' THEN {low}" for scale, (low, _) in SCALE_RANGES.items())
_SCALE_HIGHS = " ".join(f"WHEN '{scale}' THEN {high}" for scale, (_, high) in SCALE_RANGES.items())
_SCALES_TEXT = ", ".join(f"{scale} {low}-{high}" for scale, (low, high) in SCALE_RANGES.items())

SURVEY = Dataset(
    name="survey",
    title="Survey results",
    description="One row per answer (long form). Wide exports with one column per question map through a TOML mapping.",
    key=("survey_id", "response_id", "question_id"),
    date_column="responded_on",
    columns=(
        Column(
            "response_id",
            ID,
            required=True,
            description="Respondent or response id.",
            aliases=("response", "respondent", "respondent id", "response no"),
            example="R-0001",
        ),
        Column(
            "survey_id",
            ID,
            required=True,
            description="Survey wave id.",
            aliases=("survey", "wave", "survey wave", "campaign"),
            example="ENG-2025Q1",
        ),
        Column(
            "survey_type",
            TEXT,
            required=True,
            description="Kind of survey (culture, engagement, nps, csat, supplier, investor, ...).",
            aliases=("type", "survey kind", "survey name", "questionnaire"),
            example="engagement",
        ),
        Column(
            "stakeholder",
            ENUM,
            description="employee, customer, supplier or investor (default: named in survey_type, else employee).",
            aliases=("audience", "respondent type", "stakeholder group", "group"),
            values={
                "employee": ("employees", "staff", "internal", "workforce", "colleague"),
                "customer": ("customers", "client", "clients"),
                "supplier": ("suppliers", "vendor", "vendors", "provider", "external provider"),
                "investor": ("investors", "shareholder", "shareholders", "owner", "owners"),
            },
            example="employee",
        ),
        Column(
            "responded_on",
            DATE,
            required=True,
            description="Date of the answer.",
            aliases=("date", "response date", "submitted", "submitted on", "completed", "timestamp", "end date"),
            example="2025-03-14",
        ),
        SITE,
        Column(
            "department", TEXT, description=DEPARTMENT.description, aliases=DEPARTMENT.aliases, example="Production"
        ),
        Column(
            "question_id",
            ID,
            required=True,
            description="Question id.",
            aliases=("question", "item", "item id", "question code", "q id"),
            example="Q07",
        ),
        Column(
            "question_text",
            TEXT,
            description="Question wording.",
            aliases=("question wording", "item text", "statement"),
            example="I understand our quality objectives",
        ),
        Column(
            "pillar",
            ENUM,
            description="Leadership pillar the question evidences.",
            aliases=("leadership pillar", "dimension", "theme"),
            values=PILLAR_VALUES,
            example="vision_strategy",
        ),
        Column(
            "scale",
            ENUM,
            required=True,
            description="likert4, likert5, likert7, nps10 or csat5.",
            aliases=("answer scale", "scale type", "response scale"),
            values=SCALES,
            example="likert5",
        ),
        Column(
            "score",
            NUMBER,
            required=True,
            description="Whole-number answer inside the scale.",
            aliases=("answer", "value", "rating", "response value", "result"),
            example="4",
        ),
        Column(
            "comment",
            TEXT,
            description="Free-text comment.",
            aliases=("comments", "verbatim", "remarks", "free text"),
            example="",
        ),
    ),
    rules=(
        Rule(
            "score",
            f"isfinite(score) AND scale IS NOT NULL AND (score <> floor(score) OR score < CASE scale {_SCALE_LOWS} END "
            f"OR score > CASE scale {_SCALE_HIGHS} END)",
            f"score is outside its scale: {_SCALES_TEXT}, whole numbers only",
            "_raw_score",
        ),
    ),
)

TARGETS = Dataset(
    name="targets",
    title="KPI targets",
    description="Targets per KPI, optionally per site, applying from period_start on (so targets can change over time).",
    key=("kpi_id", "period_start", "site"),
    date_column="period_start",
    columns=(
        Column(
            "kpi_id",
            ENUM,
            required=True,
            description="KPI id from the catalog (see docs/kpis.md).",
            aliases=("kpi", "indicator", "metric", "measure"),
            values={kpi_id: () for kpi_id in KPI_IDS},
            example="findings_closed_on_time_pct",
        ),
        Column(
            "target",
            NUMBER,
            required=True,
            description="Target value in the KPI's unit.",
            aliases=("target value", "goal", "objective"),
            example="85",
        ),
        Column(
            "period_start",
            DATE,
            description="First day the target applies (empty: from the beginning).",
            aliases=("from", "valid from", "start", "effective from", "start date"),
            example="2025-01-01",
        ),
        Column(
            "period_end",
            DATE,
            description="Last day the target applies (empty: until replaced).",
            aliases=("to", "valid to", "until", "end", "end date"),
            example="",
        ),
        SITE,
        Column(
            "owner",
            TEXT,
            description="Who owns the KPI.",
            aliases=("kpi owner", "responsible", "accountable"),
            example="Quality Manager",
        ),
    ),
    rules=(
        Rule(
            "period_end",
            "period_end < period_start",
            "period_end is before period_start: correct either date",
            "period_end",
        ),
    ),
)

DATASETS: dict[str, Dataset] = {dataset.name: dataset for dataset in (TRAINING, FINDINGS, SURVEY, TARGETS)}

# The widest file a load reads: every column of the widest dataset, the question columns of a wide survey export
# (one per question: a long engagement survey asks 100 to 150), and the other columns exports carry along (a
# survey tool's metadata, an HR system's extra fields), which are ignored. A wider header is refused from its
# first line, before it is parsed: 200,000 columns would keep DuckDB busy for minutes.
MAX_SURVEY_QUESTIONS = 300
MAX_OTHER_COLUMNS = 200
MAX_FILE_COLUMNS = max(len(dataset.columns) for dataset in DATASETS.values()) + MAX_SURVEY_QUESTIONS + MAX_OTHER_COLUMNS


def get_dataset(name: str) -> Dataset:
    """The dataset called `name`, or a ValueError that lists the valid names."""
    try:
        return DATASETS[name]
    except KeyError:
        raise InputError(f"unknown dataset {name!r}: use one of {', '.join(DATASETS)}") from None
