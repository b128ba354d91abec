"""The KPI catalog: what each KPI measures, for which pillar, in which unit and direction.

Each KPI's definition is a SQL file in isokpi/sql/kpis/ named after its id (see isokpi/kpis.py).
"""

from __future__ import annotations

from dataclasses import dataclass

from isokpi.errors import InputError
from isokpi.pillars import PILLAR_IDS, PILLAR_NAMES

HIGHER = "higher"
LOWER = "lower"
KM_MEDIAN = "km_median"


@dataclass(frozen=True)
class Kpi:
    id: str
    name: str
    pillar: str
    clause: str
    unit: str
    direction: str  # which way is better: "higher" or "lower"
    default_target: float | None
    datasets: tuple[str, ...]
    definition: str  # one sentence a reader can check against the SQL
    survey: bool = False  # survey series carry n and a confidence interval
    derived: bool = False  # computed from the other KPIs, not from a dataset
    sql: str = ""  # file in isokpi/sql/kpis/ (default: the id); several KPIs can share one with parameters
    sql_params: tuple[tuple[str, str], ...] = ()
    # Survey confidence interval: "share" (of answers, clustered in respondents), "mean" (respondent-level t), "nps".
    ci: str | None = None
    # A total over the period (hours, findings raised): its monthly target grows with the period's length.
    per_month: bool = False
    # How the value comes from the SQL's rows: "row" (its value column), or "km_median" (per-period counts of
    # findings closed and still open by days open, turned into a Kaplan-Meier median in Python).
    value_from: str = "row"

    @property
    def sql_file(self) -> str:
        return (self.sql or self.id) + ".sql"

    @property
    def better(self) -> str:
        return "higher is better" if self.direction == HIGHER else "lower is better"


def _answers(*, stakeholder: str = "", pillar: str = "", scales: str = "") -> tuple[tuple[str, str], ...]:
    """Which answers a favourable-share KPI counts (sql/kpis/favourable_share.sql): '' for any."""
    return (("stakeholder", stakeholder), ("pillar", pillar), ("share_scales", scales))


def _favourable(pillar: str, clause: str, target: float) -> Kpi:
    return Kpi(
        id=f"survey_favourable_{pillar}_pct",
        name=f"{PILLAR_NAMES[pillar]}: favourable answers",
        pillar=pillar,
        clause=clause,
        unit="%",
        direction=HIGHER,
        default_target=target,
        datasets=("survey",),
        definition=(
            f"Share of answers to Likert items tagged {pillar} that are favourable "
            "(4-5 of 5, 3-4 of 4, 5-7 of 7), over all stakeholders' Likert answers in the period."
        ),
        survey=True,
        sql="favourable_share",
        sql_params=_answers(pillar=pillar, scales="likert4,likert5,likert7"),
        ci="share",
    )


def _stakeholder_favourable(stakeholder: str, clause: str) -> Kpi:
    """One stakeholder group's surveys: the share of its answers favourable on their own scale."""
    return Kpi(
        f"{stakeholder}_favourable_pct",
        f"{stakeholder.capitalize()} survey: favourable answers",
        "stakeholders",
        clause,
        "%",
        HIGHER,
        70.0,
        ("survey",),
        f"Share of favourable answers (Likert top boxes, CSAT 4-5, NPS 9-10) in {stakeholder} surveys in the period.",
        survey=True,
        sql="favourable_share",
        sql_params=_answers(stakeholder=stakeholder),
        ci="share",
    )


KPIS: tuple[Kpi, ...] = (
    # Vision & Strategy
    Kpi(
        "kpis_on_target_pct",
        "KPIs on target",
        "vision_strategy",
        "6.2",
        "%",
        HIGHER,
        75.0,
        ("training", "findings", "survey", "targets"),
        "Share of the other KPIs with a value and a target in the period whose value meets the target.",
        derived=True,
    ),
    _favourable("vision_strategy", "5.2, 6.2", 70.0),
    # Resources
    Kpi(
        "overdue_actions_per_100_staff",
        "Overdue corrective actions per 100 staff",
        "resources",
        "7.1",
        "per 100 staff",
        LOWER,
        2.0,
        ("findings", "training"),
        "Findings still open past their due date at the end of the period, per 100 staff on record.",
    ),
    _favourable("resources", "7.1", 65.0),
    # Culture
    _favourable("culture", "5.1, 10.3", 70.0),
    Kpi(
        "improvement_opportunities_per_100_staff",
        "Improvement opportunities raised per 100 staff",
        "culture",
        "10.3",
        "per 100 staff",
        HIGHER,
        1.0,
        ("findings", "training"),
        "Findings of severity ofi raised in the period, per 100 staff on record.",
        per_month=True,
    ),
    Kpi(
        "employee_engagement_index",
        "Employee engagement index",
        "culture",
        "7.3",
        "index 0-100",
        HIGHER,
        70.0,
        ("survey",),
        "Employee Likert answers in the period rescaled to 0-100 (lowest answer 0, highest 100), averaged per "
        "respondent, then over respondents.",
        survey=True,
        ci="mean",
    ),
    # Training
    Kpi(
        "training_hours_per_employee",
        "Training hours per employee",
        "training",
        "7.2",
        "hours",
        HIGHER,
        2.0,
        ("training",),
        "Hours of training completed in the period divided by the staff on record at its end.",
        per_month=True,
    ),
    Kpi(
        "mandatory_training_completion_pct",
        "Mandatory training completed on time",
        "training",
        "7.2",
        "%",
        HIGHER,
        95.0,
        ("training",),
        "Share of mandatory, not cancelled training records due in the period that were completed by their due date.",
    ),
    Kpi(
        "training_effectiveness_pct",
        "Training judged effective",
        "training",
        "7.2 d)",
        "%",
        HIGHER,
        85.0,
        ("training",),
        "Share of evaluated training completed in the period whose evaluation is effective.",
        sql="effectiveness_pct",
        sql_params=(("source", "training"),),
    ),
    _favourable("training", "7.2", 70.0),
    # Communication
    _favourable("communication", "7.4", 70.0),
    Kpi(
        "standards_awareness_coverage_pct",
        "Staff reached by standards training in the last 12 months",
        "communication",
        "7.3",
        "%",
        HIGHER,
        90.0,
        ("training",),
        "Share of staff on record at the end of the period who completed a course tied to an ISO standard in the 12 months before.",
    ),
    # Monitoring & Review
    Kpi(
        "findings_closed_on_time_pct",
        "Findings closed on time",
        "monitoring_review",
        "10.2",
        "%",
        HIGHER,
        85.0,
        ("findings",),
        "Share of nonconformities and observations due in the period that were closed by their due date.",
    ),
    Kpi(
        "median_days_to_close",
        "Median days to close a finding",
        "monitoring_review",
        "10.2",
        "days",
        LOWER,
        30.0,
        ("findings",),
        "Kaplan-Meier median days from raised to closed of findings raised in the period; still-open ones count as censored.",
        value_from=KM_MEDIAN,
    ),
    Kpi(
        "overdue_open_findings",
        "Overdue open findings",
        "monitoring_review",
        "10.2",
        "findings",
        LOWER,
        5.0,
        ("findings",),
        "Findings still open at the end of the period whose due date has passed.",
    ),
    Kpi(
        "major_ncs_per_audit",
        "Major nonconformities per audit",
        "monitoring_review",
        "9.2",
        "per audit",
        LOWER,
        0.2,
        ("findings",),
        "Major nonconformities raised in the period divided by the distinct audits with findings in the period.",
    ),
    _favourable("monitoring_review", "9.1, 9.3", 70.0),
    # Recognition & Learning
    Kpi(
        "repeat_finding_rate_pct",
        "Repeat findings",
        "recognition_learning",
        "10.2",
        "%",
        LOWER,
        10.0,
        ("findings",),
        "Share of nonconformities raised in the period that repeat an earlier one of another audit: an explicit repeat_of, "
        "or the same clause of the same standard at the same site within 12 months.",
    ),
    Kpi(
        "corrective_action_effectiveness_pct",
        "Corrective actions judged effective",
        "recognition_learning",
        "10.2 d)",
        "%",
        HIGHER,
        85.0,
        ("findings",),
        "Share of nonconformities closed in the period with an effectiveness review whose verdict is effective.",
        sql="effectiveness_pct",
        sql_params=(("source", "findings"),),
    ),
    _favourable("recognition_learning", "10.3", 65.0),
    # Stakeholders
    Kpi(
        "customer_nps",
        "Customer Net Promoter Score",
        "stakeholders",
        "9.1.2",
        "NPS points",
        HIGHER,
        30.0,
        ("survey",),
        "Percent of 9-10 minus percent of 0-6 among nps10 answers of customer surveys in the period.",
        survey=True,
        ci="nps",
    ),
    Kpi(
        "customer_csat_pct",
        "Customer satisfaction (CSAT)",
        "stakeholders",
        "9.1.2",
        "%",
        HIGHER,
        80.0,
        ("survey",),
        "Share of csat5 answers of customer surveys in the period that are 4 or 5.",
        survey=True,
        sql="favourable_share",
        sql_params=_answers(stakeholder="customer", scales="csat5"),
        ci="share",
    ),
    _stakeholder_favourable("supplier", "8.4"),
    _stakeholder_favourable("investor", "4.2"),
    Kpi(
        "external_audit_ncs_per_audit",
        "External audit nonconformities per audit",
        "stakeholders",
        "9.2",
        "per audit",
        LOWER,
        2.0,
        ("findings",),
        "Major and minor nonconformities from external and certification audits raised in the period, per such audit.",
    ),
)

KPI_BY_ID: dict[str, Kpi] = {kpi.id: kpi for kpi in KPIS}
KPI_IDS: tuple[str, ...] = tuple(KPI_BY_ID)


def kpis_of_pillar(pillar: str) -> list[Kpi]:
    """The catalog's KPIs of one pillar, in catalog order."""
    if pillar not in PILLAR_IDS:
        raise InputError(f"unknown pillar {pillar!r}: use one of {', '.join(PILLAR_IDS)}")
    return [kpi for kpi in KPIS if kpi.pillar == pillar]


def get_kpi(kpi_id: str) -> Kpi:
    """The KPI called `kpi_id`, or a ValueError that says where the ids are listed."""
    try:
        return KPI_BY_ID[kpi_id]
    except KeyError:
        raise InputError(
            f"unknown KPI {kpi_id!r}: run `python -m isokpi kpis` or see docs/kpis.md for the ids"
        ) from None
