"""Demo data: three years of a 3-site, ~800-person manufacturer, written as the four dataset CSVs and loaded.

The data tells one story per pillar so every page has something to show: training and monitoring &
review improve, customer NPS rises, recognition & learning gets worse (repeat findings climb), the rest
is noise around a stable level. Same (seed, scale, as_of) -> byte-identical files. Everything is drawn
as numpy arrays and written by DuckDB's CSV writer, so a hundred times the rows stays fast.

Demo data keeps apart from real data: every id starts with DEMO_PREFIX, and its batches are loaded with
source "demo" (the ledger's mark, `"demo": true` in `batches --json`), which isokpi.demo_batches removes.
"""

from __future__ import annotations

import bisect
import contextlib
import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

from isokpi.auth import User
from isokpi.catalog import KPIS, get_kpi
from isokpi.datasets import DATASETS
from isokpi.db import Database, quote
from isokpi.errors import InputError
from isokpi.ingest import IngestResult, ingest_file, private_workdir

# Every id the demo writes starts with this, so no real export's ids can meet (and silently update) a demo row.
DEMO_PREFIX = "DEMO-"
MONTHS_OF_HISTORY = 36  # full months before as_of's month; as_of's own month is added up to as_of

# (site, code used in audit ids, headcount at scale 1)
SITES = (("Leeds", "LEE", 380), ("Porto", "POR", 260), ("Brno", "BRN", 160))
SITE_SHARE = np.array([n for _, _, n in SITES], dtype=float) / sum(n for _, _, n in SITES)
DEPARTMENTS = ("Production", "Quality", "Maintenance", "Logistics", "Engineering", "HR", "Sales", "Purchasing")
DEPARTMENT_SHARE = np.array([0.46, 0.07, 0.10, 0.12, 0.08, 0.03, 0.08, 0.06])
STANDARDS = ("ISO 9001", "ISO 14001", "ISO 45001", "ISO 22000", "ISO 27001")


def text_table(text: str) -> list[list[str]]:
    """The rows of a '|'-separated table written in a string, header line left out, cells trimmed."""
    return [[cell.strip() for cell in line.split("|")] for line in text.strip().splitlines()[1:]]


# --- training -------------------------------------------------------------------------------------

# valid: months a completion stays valid (refresher due; 0: never lapses); hours: the lengths a course runs
# in; weight: how often it is booked; growth: how much more often by the end of the period (the longer
# courses grow, which is most of the hours story); departments: weight factors by department, * for the rest.
COURSE_TABLE = """
course                                    | category             | standard  | mandatory | valid | hours  | weight | growth | departments
ISO 9001 awareness                        | Quality              | ISO 9001  | yes | 0  | 1 1.5  | 6   | 0   |
Quality policy and objectives briefing    | Quality              | ISO 9001  | yes | 0  | 0.5    | 6   | 0   |
ISO 14001 environmental aspects awareness | Environment          | ISO 14001 | yes | 0  | 1      | 5   | 0   |
Waste segregation and spill response      | Environment          | ISO 14001 | yes | 0  | 0.5 1  | 5   | 0   |
ISO 45001 risk assessment                 | Health & Safety      | ISO 45001 | yes | 24 | 2 3    | 3   | 0   | Production=1.5 Maintenance=2 Engineering=1.5 HR=0.3 Sales=0.2 Purchasing=0.2
Manual handling                           | Health & Safety      | ISO 45001 | yes | 24 | 1 1.5  | 6   | 0   | Sales=0.3 HR=0.3
Fire safety and evacuation                | Health & Safety      | ISO 45001 | yes | 12 | 0.5 1  | 8   | 0   |
Forklift operator refresher               | Health & Safety      | ISO 45001 | yes | 12 | 4 8    | 1   | 0   | Logistics=8 Production=1 Maintenance=0.5 *=0
Lockout-tagout (LOTO)                     | Health & Safety      | ISO 45001 | yes | 12 | 2      | 1.5 | 0   | Maintenance=6 Production=1 Engineering=0.5 *=0.1
HACCP and ISO 22000 food safety           | Food Safety          | ISO 22000 | yes | 12 | 4 6 8  | 2   | 0   | Production=1.5 Quality=2 Engineering=0.5 Purchasing=0.5 Sales=0.2 HR=0.2
Allergen control                          | Food Safety          | ISO 22000 | yes | 12 | 1      | 4   | 0   | Sales=0.3 HR=0.3
Personal hygiene in production areas      | Food Safety          | ISO 22000 | yes | 12 | 0.5    | 6   | 0   | Production=1.5 Engineering=0.5 Sales=0.2 HR=0.2 Purchasing=0.2
ISO 27001 phishing awareness              | Information Security | ISO 27001 | yes | 12 | 0.5    | 8   | 0   |
Information classification and handling   | Information Security | ISO 27001 | yes | 24 | 1      | 3   | 0   | Production=0.3 Sales=3 HR=3 Purchasing=3 Engineering=2 Quality=2
Internal auditor (ISO 19011)              | Quality              | ISO 9001  | no  | 0  | 8 16   | 0.6 | 1.5 | Quality=8 Engineering=2 Production=0.5
Root-cause analysis                       | Quality              | ISO 9001  | no  | 0  | 3 4    | 1.5 | 1.5 | Quality=3 Engineering=2
8D problem solving                        | Quality              | ISO 9001  | no  | 0  | 4 8    | 1   | 1.5 | Quality=3 Engineering=2
Statistical process control basics        | Quality              | ISO 9001  | no  | 0  | 4      | 1.2 | 1   | HR=0 Sales=0
Measurement and calibration basics        | Quality              | ISO 9001  | no  | 0  | 2 3    | 1   | 0.5 | HR=0 Sales=0
Customer complaint handling               | Quality              | ISO 9001  | no  | 0  | 2      | 0.5 | 0.5 | Sales=8 Quality=3
ISO 45001 incident investigation          | Health & Safety      | ISO 45001 | no  | 0  | 3      | 0.6 | 1   |
Energy efficiency on the shop floor       | Environment          | ISO 14001 | no  | 0  | 2      | 0.8 | 0.5 |
Leadership for quality                    | Leadership           | ISO 9001  | no  | 0  | 8 16   | 0.5 | 1.5 |
Coaching conversations                    | Leadership           |           | no  | 0  | 4      | 0.5 | 1   |
Lean and 5S workshop                      | Technical            |           | no  | 0  | 4 8    | 1.5 | 1   |
PLC troubleshooting                       | Technical            |           | no  | 0  | 8 16   | 0.6 | 1   | Maintenance=6 Engineering=3 *=0
Hydraulics maintenance                    | Technical            |           | no  | 0  | 8      | 0.5 | 1   | Maintenance=6 *=0
CNC machine set-up                        | Technical            |           | no  | 0  | 4 8    | 1   | 1   | Production=2 Engineering=1 *=0
Welding qualification                     | Technical            |           | no  | 0  | 16     | 0.2 | 0.5 | Production=1 Maintenance=2 *=0
ERP purchasing module                     | Technical            |           | no  | 0  | 2      | 0.6 | 0.5 | Purchasing=10 Logistics=1 *=0
Excel for operations                      | Technical            |           | no  | 0  | 3      | 0.8 | 0.5 | Production=0.3
"""


@dataclass(frozen=True)
class Course:
    """One line of COURSE_TABLE."""

    name: str
    category: str
    standard: str | None
    mandatory: bool
    months_valid: int  # 0: never expires
    hours: tuple[float, ...]
    weight: float
    growth: float
    departments: tuple[float, ...]  # weight factor per department, in DEPARTMENTS order

    @classmethod
    def parse(cls, cells: list[str]) -> Course:
        name, category, standard, mandatory, valid, hours, weight, growth, departments = cells
        factors = {key: float(value) for key, value in (pair.split("=") for pair in departments.split())}
        default = factors.pop("*", 1.0)
        assert set(factors) <= set(DEPARTMENTS), f"unknown department in {departments!r}"
        return cls(
            name,
            category,
            standard or None,
            mandatory == "yes",
            int(valid),
            tuple(float(h) for h in hours.split()),
            float(weight),
            float(growth),
            tuple(factors.get(d, default) for d in DEPARTMENTS),
        )


RECORDS_PER_MONTH = 1.12  # per employee at the start; with the growth below, ~15 a year on average
RECORD_GROWTH = 0.20  # records per employee per month rise 20% over the period (the course mix adds more hours)
PLANNED_AHEAD = (0.9, 0.6, 0.3)  # share of a normal month already booked, 1, 2 and 3 months ahead
MONTHLY_TURNOVER = 0.005  # ~6% of staff leave a year; as many join, plus a little growth
FIRST_EMPLOYEE_NUMBER = 101
COURSES = tuple(Course.parse(row) for row in text_table(COURSE_TABLE))

# --- findings -------------------------------------------------------------------------------------

# One line per kind of finding: {n} becomes a 3-digit number, {k} a small count. A clause's lines share it.
CLAUSE_TABLE = """
standard  | clause  | weight | process                         | department  | description
ISO 9001  | 4.1     | 0.5 | Context of the organisation     | Quality     | Internal and external issues not reviewed for over a year
ISO 9001  | 4.2     | 0.5 | Context of the organisation     | Quality     | Needs of interested parties not updated after the new customer contract
ISO 9001  | 4.3     | 0.3 | Context of the organisation     | Quality     | Scope statement omits the new warehouse
ISO 9001  | 4.4     | 1   | Process management              | Quality     | Process map does not show the outsourced heat treatment
ISO 9001  | 5.1.1   | 0.5 | Leadership                      | Quality     | Quality objectives not discussed in the monthly operations meeting
ISO 9001  | 5.1.2   | 0.5 | Customer focus                  | Sales       | Customer-specific requirements not reviewed by site leadership
ISO 9001  | 5.2.2   | 0.5 | Quality policy                  | HR          | Quality policy not displayed in the new production hall
ISO 9001  | 5.3     | 1   | Roles and responsibilities      | HR          | Deputy for the quality lead not defined during absence
ISO 9001  | 6.1     | 1   | Risk management                 | Quality     | Risk register not reviewed since the last management review
ISO 9001  | 6.1     | 1   | Risk management                 | Quality     | Actions for the top production risks have no owner or due date
ISO 9001  | 6.2     | 1.5 | Objectives and planning         | Quality     | Scrap objective for line {k} not monitored monthly
ISO 9001  | 6.3     | 0.5 | Planning of changes             | Engineering | Move of line {k} not planned as a change to the management system
ISO 9001  | 7.1.2   | 0.5 | Resources                       | Production  | Staffing plan does not cover the third shift
ISO 9001  | 7.1.3   | 2   | Infrastructure                  | Maintenance | Preventive maintenance on press P-{n} overdue by {k} weeks
ISO 9001  | 7.1.4   | 0.5 | Work environment                | Production  | Lighting at inspection bench {k} below the level in the work instruction
ISO 9001  | 7.1.5   | 2   | Measurement and calibration     | Quality     | Calibration record missing for gauge G-{n}
ISO 9001  | 7.1.5   | 1.5 | Measurement and calibration     | Quality     | Torque wrench TW-{n} used past its calibration due date
ISO 9001  | 7.1.5   | 1   | Measurement and calibration     | Quality     | Micrometer M-{n} not labelled with its calibration status
ISO 9001  | 7.1.6   | 0.5 | Knowledge management            | Engineering | Lessons learned from project {n} not captured
ISO 9001  | 7.2     | 2   | Competence and training         | HR          | Operator on line {k} not trained on the current work instruction
ISO 9001  | 7.2     | 1.5 | Competence and training         | HR          | Training matrix for cell {k} not updated after the new machine was installed
ISO 9001  | 7.2     | 1   | Competence and training         | Quality     | Internal auditor qualification not evidenced for {k} auditors
ISO 9001  | 7.3     | 1   | Awareness                       | HR          | Operators interviewed could not explain the quality policy
ISO 9001  | 7.3     | 0.5 | Awareness                       | HR          | Night shift unaware of the change to the quality objectives
ISO 9001  | 7.4     | 1   | Communication                   | Quality     | Customer complaint trend not communicated to the shop floor
ISO 9001  | 7.5.1   | 0.5 | Documented information          | Quality     | Control plan for part {n} not part of the documented system
ISO 9001  | 7.5.2   | 1   | Document control                | Quality     | Work instruction WI-{n} approved without a revision history
ISO 9001  | 7.5.3   | 2   | Document control                | Quality     | Obsolete revision of WI-{n} found at the workstation
ISO 9001  | 7.5.3   | 1.5 | Document control                | Production  | Uncontrolled printed drawing in use on line {k}
ISO 9001  | 7.5.3   | 1.5 | Document control                | Quality     | Inspection records for batch {n} not retained as required
ISO 9001  | 8.1     | 1   | Operational planning            | Production  | Production plan does not consider paint line capacity
ISO 9001  | 8.2.1   | 0.5 | Customer communication          | Sales       | Customer not informed of the delivery delay on order {n}
ISO 9001  | 8.2.3   | 1   | Customer requirements           | Sales       | Order {n} accepted without review of the special packaging requirement
ISO 9001  | 8.2.4   | 0.3 | Customer requirements           | Sales       | Customer drawing change not passed on to production
ISO 9001  | 8.3.2   | 0.5 | Design and development          | Engineering | Design plan for project {n} has no verification stages
ISO 9001  | 8.3.3   | 0.5 | Design and development          | Engineering | Design inputs for project {n} omit the regulatory requirements
ISO 9001  | 8.3.4   | 1   | Design and development          | Engineering | Design review for project {n} not recorded
ISO 9001  | 8.3.5   | 0.5 | Design and development          | Engineering | Design outputs for part {n} lack acceptance criteria
ISO 9001  | 8.3.6   | 0.5 | Design and development          | Engineering | Drawing change for part {n} released without review
ISO 9001  | 8.4.1   | 1   | Purchasing                      | Purchasing  | Supplier re-evaluation overdue for {k} approved suppliers
ISO 9001  | 8.4.1   | 1   | Purchasing                      | Purchasing  | Supplier added to the approved list without evaluation
ISO 9001  | 8.4.2   | 1.5 | Purchasing                      | Logistics   | Incoming inspection skipped for lot {n} without justification
ISO 9001  | 8.4.3   | 1   | Purchasing                      | Purchasing  | Purchase order {n} does not state the required material certificate
ISO 9001  | 8.5.1   | 2   | Production control              | Production  | First-off inspection not recorded for batch {n}
ISO 9001  | 8.5.1   | 1.5 | Production control              | Production  | Set-up sheet for machine {n} missing at the workstation
ISO 9001  | 8.5.1   | 1.5 | Production control              | Production  | Process parameters on line {k} outside control plan limits without reaction
ISO 9001  | 8.5.2   | 2   | Identification and traceability | Logistics   | Pallet {n} in the warehouse without a traceability label
ISO 9001  | 8.5.3   | 0.5 | Customer property               | Logistics   | Customer-owned tool T-{n} not recorded in the register
ISO 9001  | 8.5.4   | 1.5 | Preservation                    | Logistics   | Finished goods stored outside the marked area in bay {k}
ISO 9001  | 8.5.5   | 0.5 | Post-delivery activities        | Sales       | Warranty returns not analysed for {k} months
ISO 9001  | 8.5.6   | 1   | Change control                  | Engineering | Change to the cooling time on tool T-{n} implemented without approval
ISO 9001  | 8.6     | 1.5 | Product release                 | Quality     | Batch {n} released before the final test record was signed
ISO 9001  | 8.7     | 2   | Nonconforming output            | Quality     | Nonconforming parts in the quarantine area not labelled
ISO 9001  | 8.7     | 2   | Nonconforming output            | Production  | Rework of batch {n} not recorded in the nonconformity log
ISO 9001  | 9.1.1   | 2   | Monitoring and measurement      | Quality     | KPI board for line {k} not updated since last quarter
ISO 9001  | 9.1.2   | 1   | Customer satisfaction           | Sales       | Customer satisfaction results not analysed for trends
ISO 9001  | 9.1.3   | 1   | Analysis and evaluation         | Quality     | Scrap data collected but not analysed for {k} months
ISO 9001  | 9.2     | 2   | Internal audit                  | Quality     | {k} planned internal audits postponed without being rescheduled
ISO 9001  | 9.2     | 1   | Internal audit                  | Quality     | Internal audit programme does not cover the purchasing process
ISO 9001  | 9.3.2   | 0.5 | Management review               | Quality     | Management review did not consider supplier performance
ISO 9001  | 9.3.3   | 0.5 | Management review               | Quality     | Management review minutes do not record decisions on resource needs
ISO 9001  | 10.2    | 2   | Corrective action               | Quality     | Corrective action for NC-{n} closed without checking its effectiveness
ISO 9001  | 10.2    | 1.5 | Corrective action               | Quality     | Root cause not identified for customer complaint CC-{n}
ISO 9001  | 10.3    | 1   | Continual improvement           | Quality     | Improvement suggestions not reviewed for {k} months
ISO 14001 | 5.2     | 0.5 | Environmental policy            | HR          | Environmental policy not communicated to contractors on site
ISO 14001 | 6.1.2   | 1.5 | Environmental aspects           | Production  | Aspect register does not include the emissions of paint line {k}
ISO 14001 | 6.1.2   | 1   | Environmental aspects           | Production  | Significance of solvent use not re-evaluated after the process change
ISO 14001 | 6.1.3   | 1.5 | Compliance obligations          | Quality     | Discharge consent renewal not tracked in the legal register
ISO 14001 | 6.1.4   | 0.5 | Planning action                 | Maintenance | No action planned for the significant aspect of compressed-air leaks
ISO 14001 | 6.2.1   | 1   | Environmental objectives        | Quality     | Energy reduction objective has no action plan
ISO 14001 | 6.2.2   | 0.5 | Environmental objectives        | Quality     | Waste reduction objective has no owner or timescale
ISO 14001 | 7.4.2   | 0.5 | Internal communication          | HR          | Environmental performance not communicated to staff
ISO 14001 | 7.4.3   | 0.3 | External communication          | Quality     | Noise complaint from a neighbour not recorded
ISO 14001 | 8.1     | 1.5 | Operational control             | Production  | Waste segregation bins mixed in production hall {k}
ISO 14001 | 8.1     | 1.5 | Operational control             | Logistics   | Chemical containers stored without secondary containment
ISO 14001 | 8.2     | 1   | Emergency preparedness          | Maintenance | Spill kit near tank {n} incomplete
ISO 14001 | 8.2     | 1   | Emergency preparedness          | Maintenance | Spill response drill not carried out this year
ISO 14001 | 9.1.1   | 1   | Monitoring and measurement      | Maintenance | Energy meter readings not recorded for {k} months
ISO 14001 | 9.1.2   | 1   | Evaluation of compliance        | Quality     | Evaluation of compliance not completed for waste legislation
ISO 14001 | 10.2    | 1   | Corrective action               | Quality     | Root cause not identified for oil spill incident INC-{n}
ISO 45001 | 5.4     | 1   | Consultation and participation  | HR          | Safety committee met {k} times without a worker representative
ISO 45001 | 6.1.2.1 | 1.5 | Hazard identification           | Production  | Hazard identification does not cover night-shift lone working
ISO 45001 | 6.1.2.2 | 1.5 | Risk assessment                 | Production  | Risk assessment for machine {n} not updated after the guard modification
ISO 45001 | 6.1.3   | 1   | Legal requirements              | HR          | Legal register not updated for the new noise regulations
ISO 45001 | 6.1.4   | 0.5 | Planning action                 | HR          | Actions from the noise survey not planned
ISO 45001 | 7.2     | 1   | Competence                      | Logistics   | Forklift licence of driver {n} expired
ISO 45001 | 8.1.1   | 0.5 | Operational control             | Maintenance | Permit to work not used for roof access
ISO 45001 | 8.1.2   | 2   | Eliminating hazards             | Production  | Machine guard on press P-{n} bypassed
ISO 45001 | 8.1.2   | 1.5 | Eliminating hazards             | Production  | PPE not worn in the marked area of hall {k}
ISO 45001 | 8.1.3   | 1   | Management of change            | Engineering | Layout change in hall {k} not risk-assessed beforehand
ISO 45001 | 8.1.4.1 | 0.5 | Procurement                     | Purchasing  | New chemical purchased without a safety data sheet review
ISO 45001 | 8.1.4.2 | 0.5 | Contractors                     | Maintenance | Contractor induction record missing for the roofing work
ISO 45001 | 8.2     | 1   | Emergency response              | Logistics   | Emergency exit {k} obstructed by pallets
ISO 45001 | 8.2     | 1   | Emergency response              | HR          | Fire drill not carried out at the planned frequency
ISO 45001 | 9.1.1   | 1   | Performance monitoring          | Quality     | Near-miss reports not trended
ISO 45001 | 10.2    | 1   | Incident investigation          | Production  | Investigation of incident INC-{n} found no root cause
ISO 22000 | 7.2     | 1   | Competence                      | HR          | Food hygiene training missing for {k} temporary staff
ISO 22000 | 8.2.4   | 1.5 | Prerequisite programmes         | Production  | Hand-wash station at entrance {k} without soap
ISO 22000 | 8.2.4   | 1.5 | Prerequisite programmes         | Maintenance | Pest control bait station {n} not inspected
ISO 22000 | 8.3     | 1   | Traceability                    | Logistics   | Traceability test for batch {n} took over four hours
ISO 22000 | 8.5.1.3 | 0.5 | Hazard analysis                 | Purchasing  | Specification for raw material RM-{n} lacks allergen information
ISO 22000 | 8.5.2.2 | 1   | Hazard analysis                 | Quality     | Hazard analysis not updated for the new raw material RM-{n}
ISO 22000 | 8.5.4.3 | 1.5 | HACCP plan                      | Production  | CCP {k} monitoring record missing for the night shift
ISO 22000 | 8.5.4.3 | 1.5 | HACCP plan                      | Production  | Metal detector check at CCP {k} not recorded every hour
ISO 22000 | 8.5.4.5 | 0.5 | HACCP plan                      | Quality     | Corrections at CCP {k} not recorded
ISO 22000 | 8.7     | 1   | Control of monitoring           | Quality     | Thermometer T-{n} not verified against the reference
ISO 22000 | 8.8.1   | 1   | Verification                    | Quality     | PRP verification not performed this quarter
ISO 22000 | 8.8.2   | 0.5 | Verification                    | Quality     | Verification results not analysed by the food safety team
ISO 22000 | 8.9.2   | 0.5 | Corrections                     | Production  | Corrections after the foreign-body incident not recorded
ISO 22000 | 8.9.3   | 0.5 | Corrective action               | Quality     | Corrective action for CCP deviation {n} not recorded
ISO 22000 | 8.9.4   | 1   | Potentially unsafe products     | Quality     | Held batch {n} released without documented evaluation
ISO 22000 | 8.9.5   | 1   | Withdrawal and recall           | Logistics   | Mock recall not tested within the year
ISO 27001 | A.5.1   | 0.5 | Information security policy     | Engineering | Remote working policy not approved
ISO 27001 | A.5.9   | 1   | Asset management                | Engineering | Asset inventory does not include {k} shop-floor tablets
ISO 27001 | A.5.10  | 0.5 | Acceptable use                  | HR          | Acceptable use rules not signed by {k} new starters
ISO 27001 | A.5.12  | 0.5 | Classification                  | Engineering | Customer drawings not labelled with their classification
ISO 27001 | A.5.15  | 1.5 | Access control                  | HR          | User accounts of {k} leavers still active in the ERP
ISO 27001 | A.5.15  | 1   | Access control                  | Engineering | Shared administrator account used on the MES server
ISO 27001 | A.5.17  | 0.5 | Authentication                  | Engineering | Default password unchanged on label printer LP-{n}
ISO 27001 | A.5.18  | 1   | Access rights                   | HR          | Access rights review not performed this quarter
ISO 27001 | A.5.19  | 1   | Supplier security               | Purchasing  | Security requirements missing from the cloud supplier contract
ISO 27001 | A.5.23  | 0.5 | Cloud services                  | Engineering | Cloud file-sharing service in use without approval
ISO 27001 | A.5.24  | 1   | Incident management             | Engineering | Security incident SI-{n} not logged in the register
ISO 27001 | A.5.29  | 0.5 | Business continuity             | Engineering | ICT continuity plan not tested
ISO 27001 | A.5.30  | 0.5 | ICT readiness                   | Engineering | Recovery time for the MES server not defined
ISO 27001 | A.6.1   | 0.3 | Screening                       | HR          | Background checks not evidenced for {k} administrators
ISO 27001 | A.6.3   | 1.5 | Security awareness              | HR          | {k} employees had not completed the phishing awareness module
ISO 27001 | A.6.7   | 0.5 | Remote working                  | HR          | Remote workers using personal devices without controls
ISO 27001 | A.7.1   | 0.3 | Physical security               | Logistics   | Side gate to the yard left open during the night shift
ISO 27001 | A.7.2   | 1   | Physical security               | HR          | Visitor badge not returned and not followed up
ISO 27001 | A.7.7   | 1   | Clear desk                      | Sales       | Customer drawings left unattended on desks in the sales office
ISO 27001 | A.8.1   | 0.5 | Endpoint devices                | Engineering | {k} laptops without disk encryption
ISO 27001 | A.8.5   | 0.5 | Secure authentication           | Engineering | No multi-factor authentication on remote access
ISO 27001 | A.8.7   | 1   | Malware protection              | Engineering | Antivirus signatures outdated on {k} production PCs
ISO 27001 | A.8.8   | 1.5 | Vulnerability management        | Engineering | Critical patches not applied to the SCADA server for {k} months
ISO 27001 | A.8.13  | 1   | Backup                          | Engineering | Restore of the ERP backup not tested this year
ISO 27001 | A.8.15  | 1   | Logging                         | Engineering | Firewall logs not reviewed
ISO 27001 | A.8.32  | 0.5 | Change management               | Engineering | ERP change released without a test record
"""
# Which standards the findings of an audit type cite (certification audits cite the audited one).
STANDARD_WEIGHTS = {
    "internal": (0.40, 0.15, 0.20, 0.12, 0.13),
    "customer": (0.70, 0, 0, 0.30, 0),
    "supplier": (0.75, 0, 0, 0.25, 0),
}
SEVERITIES = ("major_nc", "minor_nc", "observation", "ofi")
SEVERITY_WEIGHTS = {
    "internal": (0.04, 0.33, 0.30, 0.33),
    "certification": (0.08, 0.42, 0.27, 0.23),
    "supplier": (0.08, 0.42, 0.30, 0.20),
    "customer": (0.06, 0.40, 0.34, 0.20),
}
DAYS_TO_DUE = np.array([14, 30, 60, 60])  # by severity
AUDIT_SOURCES = {
    "internal": "Internal audit programme",
    "certification": "Certification body",
    "supplier": "Supplier audit",
    "customer": "Customer audit",
}
AUDIT_TYPES = ("internal", "certification", "supplier", "customer")
CERTIFICATION_MONTH = {"ISO 9001": 3, "ISO 14001": 6, "ISO 45001": 9, "ISO 22000": 5, "ISO 27001": 10}
SUPPLIER_AUDITS = 3  # per quarter
CUSTOMER_AUDITS_PER_MONTH = 0.25
FINDINGS_PER_AUDIT = {"internal": 10.0, "certification": 7.0, "supplier": 5.0, "customer": 7.0}
INTERNAL_SITE_FACTOR = np.array([1.2, 1.0, 0.75])  # bigger sites, more findings
OFI_TEMPLATES = (
    "Opportunity to digitalise the {process} records",
    "Consider visual management boards for {process}",
    "Opportunity to share good practice in {process} across sites",
    "Consider trending {process} data monthly at the team meeting",
    "Opportunity to simplify the {process} procedure",
    "Consider cross-training a second person in {process}",
)
ROOT_CAUSES = (
    "Procedure not followed",
    "Training gap",
    "Unclear procedure",
    "Equipment failure",
    "Supplier quality",
    "Resource shortage",
    "Communication breakdown",
    "Design issue",
)
ROOT_CAUSE_WEIGHTS = (0.25, 0.18, 0.15, 0.12, 0.06, 0.09, 0.09, 0.06)
SUPPLIERS = (
    "Hallam Fasteners Ltd",
    "Pennine Packaging",
    "Metalurgia do Norte",
    "Plásticos Ave",
    "Moravské plasty s.r.o.",
    "Brněnská slévárna",
    "Rhine Valley Coatings",
    "Northern Chemicals",
    "Vale do Sousa Embalagens",
    "Dalkeith Electronics",
)
# Per site: the eight department heads (in DEPARTMENTS order), then deputies who own some actions too.
OWNERS = tuple(
    names.split(", ")
    for names in (
        "J. Whitaker, S. Patel, R. Hughes, L. Thompson, M. Clarke, A. Khan, D. Walsh, K. Brennan, C. Moore, H. Ali",
        "A. Costa, M. Silva, R. Ferreira, J. Pereira, C. Sousa, P. Gonçalves, T. Rodrigues, I. Martins, L. Carvalho, "
        "S. Almeida",
        "P. Novák, J. Dvořák, M. Svobodová, T. Černý, L. Procházková, K. Kučera, E. Veselá, O. Horák, Z. Marek, "
        "V. Pokorná",
    )
)
REPEAT_WINDOW_DAYS = 365  # a repeat points at a nonconformity of the same site raised in the year before
# Other nonconformities avoid a clause cited at their site within this many days, so that the KPI's
# "same clause, same site within 12 months" rule finds the deliberate repeats and few others.
CLAUSE_REST_DAYS = 380
CLAUSE_CANDIDATES = 32

# --- survey waves ---------------------------------------------------------------------------------

ENGAGEMENT_QUESTIONS = (
    (
        "E01",
        "vision_strategy",
        "I understand how my work contributes to our quality, environmental and safety objectives",
    ),
    ("E02", "vision_strategy", "Leadership has clearly communicated where the company is heading"),
    ("E03", "resources", "I have the time I need to do my job properly"),
    ("E04", "resources", "I have the tools and equipment I need to do my job safely and well"),
    ("E05", "culture", "People here look for ways to improve how we work"),
    ("E06", "culture", "Doing things right first time matters more here than hitting the numbers"),
    ("E07", "training", "I have received the training I need to do my job well"),
    ("E08", "training", "My manager supports my development"),
    ("E09", "communication", "I am kept informed about changes that affect my work"),
    ("E10", "communication", "I know where to find the procedures and standards that apply to my job"),
    ("E11", "monitoring_review", "Problems found in audits are fixed quickly"),
    ("E12", "monitoring_review", "My team regularly reviews its performance against targets"),
    ("E13", "recognition_learning", "Good work is recognised in my team"),
    (
        "E14",
        "recognition_learning",
        "When something goes wrong, we learn from it rather than look for someone to blame",
    ),
    ("E15", "stakeholders", "I understand what our customers expect from my work"),
    ("E16", "stakeholders", "We treat our suppliers and partners as part of the team"),
)
# pillar -> favourable share of its items at the start and at the end: two improve, one declines.
FAVOURABLE_TREND = {
    "vision_strategy": (0.70, 0.70),
    "resources": (0.67, 0.67),
    "culture": (0.72, 0.72),
    "training": (0.60, 0.77),
    "communication": (0.69, 0.69),
    "monitoring_review": (0.58, 0.74),
    "recognition_learning": (0.68, 0.58),
    "stakeholders": (0.74, 0.74),
}
SITE_MOOD = np.array([0.0, 0.15, -0.1])  # logit offset by site: Porto a little happier, Brno a little less
RESPONSE_RATE = 0.55
ENGAGEMENT_COMMENTS = (
    "More time for training on the new line would help",
    "Shift handovers could be better",
    "Thanks for the new safety walk-throughs",
    "Audit actions sit open too long in our area",
    "Managers rarely say thank you",
    'The "quick fix" habit has to stop, we see the same problems again and again',
    "Good updates from the plant manager, keep it up",
    "Break areas and lockers need attention",
    "Procedures are hard to find on the intranet",
    "Please involve operators earlier in changes",
)
NPS_QUESTION = ("NPS", "How likely are you to recommend us to a colleague or business partner?")
CSAT_QUESTION = ("CSAT", "How satisfied are you with our products and service overall?")
CUSTOMER_RESPONSES_PER_MONTH = 60
NPS_TREND = (18.0, 35.0)
NPS_PASSIVE_SHARE = 0.36
CSAT_FAVOURABLE = 0.82
CUSTOMER_COMMENTS = (
    "Delivery performance has improved",
    "Packaging damage on two deliveries this month",
    "Quick response to our complaint, thank you",
    "Lead times are still too long",
    "Certificates of conformity are sometimes missing",
    "Great technical support from your engineers",
    "Invoices do not always match the delivery note",
)
SUPPLIER_QUESTIONS = (
    ("S01", "Our requirements are communicated clearly in purchase orders and specifications"),
    ("S02", "Payments are made on time as agreed"),
    ("S03", "Forecasts and schedules give us enough notice"),
    ("S04", "Quality issues are raised promptly and handled fairly"),
    ("S05", "We would recommend this company as a customer to other suppliers"),
)
SUPPLIER_RESPONDENTS = 30
SUPPLIER_SURVEY_MONTHS = (5, 11)
INVESTOR_QUESTIONS = (
    ("I01", "The company's strategy is clear and credible"),
    ("I02", "Management reports quality, environmental and safety performance transparently"),
    ("I03", "Risks to the business are well understood and managed"),
    ("I04", "I am confident in the leadership team's ability to deliver the plan"),
)
INVESTOR_RESPONDENTS = 12
INVESTOR_SURVEY_MONTH = 4

# --- targets --------------------------------------------------------------------------------------

TARGET_OWNERS = {
    "vision_strategy": "Managing Director",
    "resources": "Operations Director",
    "culture": "HR Manager",
    "training": "HR Manager",
    "communication": "HR Manager",
    "monitoring_review": "Quality Manager",
    "recognition_learning": "Quality Manager",
    "stakeholders": "Commercial Director",
}
# kpi_id -> (target for the first two years, target from the start of the last year)
TARGET_CHANGES = {
    "findings_closed_on_time_pct": (80.0, 90.0),
    "mandatory_training_completion_pct": (90.0, 95.0),
    "customer_nps": (25.0, 30.0),
}
SITE_TARGETS = (("overdue_open_findings", "Porto", 2.0),)


@dataclass(frozen=True)
class DemoScale:
    """Multipliers for the rows of each dataset (headcount, audits, respondents); targets never scale."""

    training: float = 1
    findings: float = 1
    survey: float = 1

    def __post_init__(self) -> None:
        for name in ("training", "findings", "survey"):
            if not getattr(self, name) > 0:
                raise InputError(f"DemoScale.{name} must be more than 0, not {getattr(self, name)!r}")

    @classmethod
    def uniform(cls, factor: float) -> DemoScale:
        """Every dataset scaled by `factor` (the CLI's --rows-scale)."""
        return cls(factor, factor, factor)


def write_demo_files(
    directory: Path,
    *,
    seed: int = 7,
    scale: DemoScale = DemoScale(),
    as_of: dt.date | None = None,
) -> dict[str, Path]:
    """Write training.csv, findings.csv, survey.csv and targets.csv into `directory`; return {dataset: path}."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    period = Period.ending(as_of or dt.date.today())
    # One random stream per dataset, so scaling one dataset leaves the others' rows as they were.
    stream = {name: np.random.default_rng([seed, number]) for number, name in enumerate(DATASETS)}
    builders = {
        "training": lambda: training_table(stream["training"], period, scale.training),
        "findings": lambda: findings_table(stream["findings"], period, scale.findings),
        "survey": lambda: survey_table(stream["survey"], period, scale.survey),
        "targets": lambda: targets_table(period),
    }
    paths: dict[str, Path] = {}
    for name, build in builders.items():
        frame, select, params = build()
        paths[name] = directory / f"{name}.csv"
        write_csv(paths[name], frame, select, params)
        del frame  # the next dataset's arrays need the memory more
    return paths


def load_demo(
    database: Database,
    *,
    seed: int = 7,
    scale: DemoScale = DemoScale(),
    as_of: dt.date | None = None,
    actor: User | None = None,
) -> dict[str, IngestResult]:
    """Write the demo files privately and load each through the normal ingest, one batch per dataset, as `actor`
    (default: whoever runs the command line)."""
    results: dict[str, IngestResult] = {}
    with private_workdir(database) as workdir:
        paths = write_demo_files(workdir, seed=seed, scale=scale, as_of=as_of)
        for name, path in paths.items():
            result = ingest_file(database, name, path, source="demo", actor=actor)
            if not result.ok:
                shown = "; ".join(f"row {p.row} {p.column} {p.value!r}: {p.message}" for p in result.errors[:5])
                raise RuntimeError(f"demo {name} data failed validation ({result.error_count} problems): {shown}")
            results[name] = result
    return results


def database_is_empty(database: Database) -> bool:
    """True when none of the four datasets has a row."""
    exists = " OR ".join(f"EXISTS (SELECT 1 FROM {quote(name)})" for name in DATASETS)
    return not database.query(f"SELECT {exists}")[0][0]


def never_held_a_batch(database: Database) -> bool:
    """True for a database that no batch was ever loaded into: the only kind the app fills with the demo.

    Batch numbers are never handed back (undoing a batch takes one more), so a database whose batches were all
    undone is empty but not new, and stays empty."""
    return database.query("SELECT value FROM counters WHERE name = 'batch'")[0][0] == 0


# --- calendar and drawing helpers -----------------------------------------------------------------


@dataclass(frozen=True)
class Period:
    """The demo's calendar: MONTHS_OF_HISTORY full months before as_of's month, then that month up to as_of."""

    first_month: np.datetime64  # datetime64[M]
    as_of: np.datetime64  # datetime64[D]

    @classmethod
    def ending(cls, as_of: dt.date) -> Period:
        return cls(np.datetime64(as_of, "M") - MONTHS_OF_HISTORY, np.datetime64(as_of, "D"))

    @property
    def start(self) -> np.datetime64:
        return self.first_month.astype("datetime64[D]")

    @property
    def month_count(self) -> int:
        return MONTHS_OF_HISTORY + 1

    def months(self, extra: int = 0) -> tuple[np.ndarray, np.ndarray]:
        """First day and length in days of each month of the period, plus `extra` months after it."""
        months = self.first_month + np.arange(self.month_count + extra)
        first = months.astype("datetime64[D]")
        return first, ((months + 1).astype("datetime64[D]") - first).astype(np.int64)

    def month_start(self, offset: int) -> np.datetime64:
        return (self.first_month + offset).astype("datetime64[D]")

    def month_index(self, days: np.ndarray) -> np.ndarray:
        return (days.astype("datetime64[M]") - self.first_month).astype(np.int64)

    def progress(self, days: np.ndarray) -> np.ndarray:
        """0 at the start of the period, 1 at as_of (clipped): the time axis of every trend."""
        return np.clip((days - self.start) / (self.as_of - self.start), 0.0, 1.0)


def _pick(rng: np.random.Generator, weights, size: int) -> np.ndarray:
    """`size` indexes drawn with the given (unnormalised) weights."""
    weights = np.asarray(weights, dtype=float)
    return rng.choice(len(weights), size=size, p=weights / weights.sum())


def _uniform_days(rng: np.random.Generator, first: np.ndarray, length: np.ndarray) -> np.ndarray:
    """A random day in each [first, first + length)."""
    return first + np.floor(rng.random(len(first)) * length).astype(np.int64)


def _weekday(day: np.datetime64) -> np.datetime64:
    """A weekend day moved to the nearest working day of the same month."""
    return np.busday_offset(day, 0, roll="modifiedfollowing")


def _add_months(days: np.ndarray, months: np.ndarray) -> np.ndarray:
    """Calendar months added to datetime64[D] days (31 January + 1 month = end of February)."""
    month = days.astype("datetime64[M]")
    target = month + months
    last_day = (target + 1).astype("datetime64[D]") - 1
    return np.minimum(target.astype("datetime64[D]") + (days - month.astype("datetime64[D]")), last_day)


def _monthly_noise(rng: np.random.Generator, period: Period, sd: float, extra: int = 0) -> np.ndarray:
    """One normal draw per month: the month-to-month wobble around a trend."""
    return rng.normal(0.0, sd, period.month_count + extra)


def _category(codes: np.ndarray, names) -> pd.Categorical:
    """Codes into `names` (-1: empty) as a pandas categorical, which DuckDB reads as an ENUM."""
    names = list(names)
    if len(set(names)) < len(names):  # categories must be unique: map codes onto the distinct names
        unique = list(dict.fromkeys(names))
        codes = np.array([unique.index(name) for name in names] + [-1])[codes]
        names = unique
    return pd.Categorical.from_codes(codes, categories=names)


def _dates(days: np.ndarray) -> np.ndarray:
    return days.astype("datetime64[s]")


# --- training -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Staff:
    number: np.ndarray  # employee number, written with leading zeros
    site: np.ndarray
    department: np.ndarray
    joined: np.ndarray  # datetime64[D]; before the period for the staff already there
    left: np.ndarray  # datetime64[D]; far in the future for those still employed


def workforce(rng: np.random.Generator, period: Period, scale: float) -> Staff:
    """The staff at the start plus joiners; a few percent leave each year and their records stop."""
    counts = [max(1, round(headcount * scale)) for _, _, headcount in SITES]
    at_start = sum(counts)
    days = int((period.as_of - period.start).astype(np.int64)) + 1
    joiners = int(rng.poisson(at_start * MONTHLY_TURNOVER * 1.05 * days / 30.44))
    site = np.concatenate([np.repeat(np.arange(len(SITES)), counts), _pick(rng, SITE_SHARE, joiners)])
    department = _pick(rng, DEPARTMENT_SHARE, at_start + joiners)
    join_days = np.sort(period.start + rng.integers(1, days, joiners))
    joined = np.concatenate([period.start - rng.integers(30, 9000, at_start), join_days])
    tenure = np.floor(rng.exponential(30.44 / MONTHLY_TURNOVER, at_start + joiners)).astype(np.int64)
    leaves = np.maximum(joined, period.start) + tenure
    left = np.where(leaves <= period.as_of, leaves, np.datetime64("2200-01-01"))
    # Numbers follow hiring order: the staff already there in random seniority, then joiners as they came.
    number = FIRST_EMPLOYEE_NUMBER + np.concatenate([rng.permutation(at_start), at_start + np.arange(joiners)])
    return Staff(number, site, department, joined, left)


def training_table(rng: np.random.Generator, period: Period, scale: float) -> tuple[pd.DataFrame, str, dict]:
    """Training records: more hours and better on-time completion of mandatory courses as time goes on."""
    staff = workforce(rng, period, scale)
    ahead = len(PLANNED_AHEAD)
    first, length = period.months(ahead)
    active = (staff.joined[:, None] < (first + length)[None, :]) & (staff.left[:, None] > first[None, :])
    t_month = period.progress(first)
    rate = RECORDS_PER_MONTH * (1 + RECORD_GROWTH * t_month) * np.exp(_monthly_noise(rng, period, 0.06, ahead))
    rate[period.month_count :] *= PLANNED_AHEAD
    counts = rng.poisson(active * rate[None, :])
    del active
    person, month = np.divmod(np.repeat(np.arange(counts.size), counts.ravel()), len(first))
    del counts
    due = _uniform_days(rng, first[month], length[month])
    due = np.minimum(np.maximum(due, staff.joined[person] + 7), staff.left[person] - 1)
    # Records in due-date order from here on, so record ids follow it (a radix sort: days fit in 16 bits).
    order = np.argsort((due - period.start).astype(np.int16), kind="stable")
    person, month, due = person[order], month[order], due[order]
    department = staff.department[person]
    course = _choose_courses(rng, month, department, t_month)
    n = len(course)

    mandatory = np.array([c.mandatory for c in COURSES])[course]
    option_count = np.array([len(c.hours) for c in COURSES])
    option_table = np.array([[*c.hours, *[0.0] * (option_count.max() - len(c.hours))] for c in COURSES])
    hours = option_table[course, np.floor(rng.random(n) * option_count[course]).astype(np.int64)]

    t = period.progress(due)
    wobble = _monthly_noise(rng, period, 0.02, ahead)[month]
    on_time_share = np.where(mandatory, 0.78 + 0.15 * t, 0.84 + 0.08 * t) + wobble
    on_time = rng.random(n) < np.clip(on_time_share, 0.4, 0.99)
    early = np.minimum(np.floor(rng.exponential(10.0, n)), 45).astype(np.int64)
    late = 1 + np.floor(rng.exponential(20.0, n)).astype(np.int64)
    never = rng.random(n) < 0.10  # missed the due date and never caught up: stays overdue
    early %= (due - period.start).astype(np.int64) + 1  # nothing completed before the period starts
    completed = np.where(on_time, due - early, due + late)
    cancelled = rng.random(n) < 0.025
    done = (on_time | ~never) & (completed <= period.as_of) & ~cancelled
    status = np.select([cancelled, done, due < period.as_of], [3, 1, 2], 0)  # planned / completed / overdue / cancelled

    months_valid = np.array([c.months_valid for c in COURSES])[course]
    expires_on = np.full(n, np.datetime64("NaT"), dtype="datetime64[D]")
    calendar = period.start + np.arange(int((period.as_of - period.start).astype(np.int64)) + 1)
    for months in np.unique(months_valid[months_valid > 0]):
        rows = np.flatnonzero(done & (months_valid == months))
        expires_on[rows] = _add_months(calendar, months)[(completed[rows] - period.start).astype(np.int64)]
    evaluated = done & (completed <= period.as_of - 45) & (rng.random(n) < 0.72)
    effectiveness = np.where(evaluated, _verdicts(rng, 0.80 + 0.08 * period.progress(completed), 0.7), -1)

    frame = pd.DataFrame(
        {
            "record_no": np.arange(1, n + 1),
            "employee_no": staff.number[person],
            "department": _category(department, DEPARTMENTS),
            "site": _category(staff.site[person], [s[0] for s in SITES]),
            "course": _category(course, [c.name for c in COURSES]),
            "category": _category(course, [c.category for c in COURSES]),
            "standard": _category(
                np.array([STANDARDS.index(c.standard) if c.standard else -1 for c in COURSES])[course], STANDARDS
            ),
            "hours": hours,
            "status": _category(status, ("planned", "completed", "overdue", "cancelled")),
            "due_date": _dates(due),
            "completed_on": _dates(np.where(done, completed, np.datetime64("NaT"))),
            "expires_on": _dates(expires_on),
            "is_mandatory": _category(np.where(mandatory, 0, 1), ("yes", "no")),
            "effectiveness": _category(effectiveness, ("effective", "partially_effective", "not_effective")),
        }
    )
    select = """
        SELECT $prefix || 'TR-' || lpad(CAST(record_no AS VARCHAR), $record_width, '0') AS record_id,
               $prefix || lpad(CAST(employee_no AS VARCHAR), $employee_width, '0') AS employee_id,
               department, site, course, category, standard, "hours", status,
               CAST(due_date AS DATE) AS due_date, CAST(completed_on AS DATE) AS completed_on,
               CAST(expires_on AS DATE) AS expires_on, is_mandatory, effectiveness
        FROM frame
    """
    # One digit more than the largest number needs, so every id shows a leading zero (a text id, not a number).
    widths = {"record_width": max(6, len(str(n))), "employee_width": max(5, len(str(staff.number.max())) + 1)}
    return frame, select, {**widths, "prefix": DEMO_PREFIX}


def _choose_courses(
    rng: np.random.Generator, month: np.ndarray, department: np.ndarray, t_month: np.ndarray
) -> np.ndarray:
    """A course per record, from weights that depend on the department and drift towards longer courses."""
    base = np.array([c.weight for c in COURSES])
    growth = np.array([c.growth for c in COURSES])
    affinity = np.array([c.departments for c in COURSES]).T
    # Cumulative weights of each (month, department) group, stacked as group + share so one sorted
    # array serves every group: a uniform draw u in group g lands between g + cdf[c - 1] and g + cdf[c].
    weights = (base * (1 + growth * t_month[:, None]))[:, None, :] * affinity[None, :, :]
    cdf = np.cumsum(weights, axis=2)
    cdf = (cdf / cdf[..., -1:]).reshape(-1, len(COURSES))
    stacked = (np.arange(len(cdf))[:, None] + cdf).ravel()
    group = month * len(DEPARTMENTS) + department
    draw = group + rng.random(len(group)) * (1 - 1e-9)
    return np.searchsorted(stacked, draw, side="right") - group * len(COURSES)


def _verdicts(rng: np.random.Generator, effective_share: np.ndarray, partial_of_rest: float) -> np.ndarray:
    """0 effective, 1 partially effective, 2 not effective."""
    draw = rng.random(len(effective_share))
    partial = effective_share + (1 - effective_share) * partial_of_rest
    return np.select([draw < effective_share, draw < partial], [0, 1], 2)


# --- findings -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Audits:
    """The audit programme as parallel arrays, one entry per audit."""

    audit_id: np.ndarray  # text
    audit_type: np.ndarray  # index into AUDIT_TYPES
    site: np.ndarray  # -1: the findings spread over the sites
    day: np.ndarray  # datetime64[D]
    standard: np.ndarray  # -1: the findings spread over the standards the audit type covers
    supplier: np.ndarray  # -1: not a supplier audit
    mean_findings: np.ndarray


def audit_plan(rng: np.random.Generator, period: Period, scale: float) -> Audits:
    """Internal audits monthly per site, certification audits yearly per standard, supplier audits each
    quarter, customer audits now and then. A bigger scale means more audits, not bigger ones."""
    copies = max(1, round(scale))
    per_copy = scale / copies
    first, length = period.months()
    year = first.astype("datetime64[Y]").astype(np.int64) + 1970
    month = first.astype("datetime64[M]").astype(np.int64) % 12 + 1
    suffix = [f"-{copy + 1:03d}" if copies > 1 else "" for copy in range(copies)]
    parts: list[dict[str, np.ndarray]] = []

    def add(kind: str, m: np.ndarray, ids: list[str], day: np.ndarray, site=-1, standard=-1, supplier=-1) -> None:
        size = len(m)
        parts.append(
            {
                "audit_id": np.array(ids, dtype=object),
                "audit_type": np.full(size, AUDIT_TYPES.index(kind)),
                "site": np.broadcast_to(site, size),
                "day": _weekday(day),
                "standard": np.broadcast_to(standard, size),
                "supplier": np.broadcast_to(supplier, size),
                "mean_findings": np.full(size, FINDINGS_PER_AUDIT[kind] * per_copy),
            }
        )

    m, copy, site = (a.ravel() for a in np.meshgrid(np.arange(len(first)), np.arange(copies), np.arange(len(SITES))))
    ids = [f"IA-{SITES[s][1]}-{year[i]}-{month[i]:02d}{suffix[c]}" for i, c, s in zip(m, copy, site, strict=True)]
    add("internal", m, ids, _uniform_days(rng, first[m], length[m]), site=site)
    parts[-1]["mean_findings"] = parts[-1]["mean_findings"] * INTERNAL_SITE_FACTOR[site]

    for standard, audit_month in CERTIFICATION_MONTH.items():
        m, copy = (a.ravel() for a in np.meshgrid(np.flatnonzero(month == audit_month), np.arange(copies)))
        ids = [f"CB-{standard.split()[1]}-{year[i]}{suffix[c]}" for i, c in zip(m, copy, strict=True)]
        add("certification", m, ids, _uniform_days(rng, first[m], length[m] - 3), standard=STANDARDS.index(standard))

    # Supplier audits are planned when a quarter begins and held some time in its three months.
    m, number = (a.ravel() for a in np.meshgrid(np.flatnonzero(month % 3 == 1), np.arange(copies * SUPPLIER_AUDITS)))
    ids = [f"SA-{year[i]}Q{month[i] // 3 + 1}-{k + 1:02d}" for i, k in zip(m, number, strict=True)]
    day = _uniform_days(rng, first[m], np.full(len(m), 90))
    add("supplier", m, ids, day, site=_pick(rng, SITE_SHARE, len(m)), supplier=rng.integers(0, len(SUPPLIERS), len(m)))

    held = rng.poisson(CUSTOMER_AUDITS_PER_MONTH * copies, len(first))
    m = np.repeat(np.arange(len(first)), held)
    number = np.arange(len(m)) - np.repeat(np.cumsum(held) - held, held)
    ids = [f"CA-{year[i]}-{month[i]:02d}-{k + 1:02d}" for i, k in zip(m, number, strict=True)]
    add("customer", m, ids, _uniform_days(rng, first[m], length[m]), site=_pick(rng, SITE_SHARE, len(m)))

    columns = {name: np.concatenate([part[name] for part in parts]) for name in parts[0]}
    held_by_now = columns["day"] <= period.as_of
    return Audits(**{name: values[held_by_now] for name, values in columns.items()})


@dataclass(frozen=True)
class ClauseTable:
    """CLAUSE_TABLE as arrays: one entry per line, a clause and one way of failing it."""

    standard: np.ndarray
    clause: list[str]
    text_id: np.ndarray  # the same clause number under two standards shares an id (the repeat rule compares text)
    weight: np.ndarray
    process: list[str]
    department: np.ndarray
    description: list[str]

    @classmethod
    def build(cls) -> ClauseTable:
        rows = text_table(CLAUSE_TABLE)
        numbers = sorted({row[1] for row in rows})
        return cls(
            standard=np.array([STANDARDS.index(row[0]) for row in rows]),
            clause=[row[1] for row in rows],
            text_id=np.array([numbers.index(row[1]) for row in rows]),
            weight=np.array([float(row[2]) for row in rows]),
            process=[row[3] for row in rows],
            department=np.array([DEPARTMENTS.index(row[4]) for row in rows]),
            description=[row[5] for row in rows],
        )

    def pools(self) -> list[np.ndarray]:
        """Entry weights for each pool: one per standard, then one per STANDARD_WEIGHTS audit type."""
        within = self.weight / np.bincount(self.standard, weights=self.weight)[self.standard]
        shares = [np.eye(len(STANDARDS))[s] for s in range(len(STANDARDS))]
        shares += [np.array(weights) for weights in STANDARD_WEIGHTS.values()]
        return [share[self.standard] * within for share in shares]

    def sample(self, rng: np.random.Generator, pool: np.ndarray, candidates: int = 1) -> np.ndarray:
        """For each row, `candidates` entries drawn by weight from its pool (shape: rows x candidates)."""
        out = np.empty((len(pool), candidates), dtype=np.int64)
        for number, weights in enumerate(self.pools()):
            rows = np.flatnonzero(pool == number)
            out[rows] = _pick(rng, weights, len(rows) * candidates).reshape(len(rows), candidates)
        return out


def findings_table(rng: np.random.Generator, period: Period, scale: float) -> tuple[pd.DataFrame, str, dict]:
    """Audit findings: closed faster and more often on time over the years, but repeats become commoner."""
    audits = audit_plan(rng, period, scale)
    audit = np.repeat(np.arange(len(audits.audit_id)), rng.poisson(audits.mean_findings))
    n = len(audit)
    kind = audits.audit_type[audit]
    spread = np.where(kind == AUDIT_TYPES.index("certification"), rng.integers(0, 3, n), 0)  # a multi-day audit
    raised = np.minimum(audits.day[audit] + spread, period.as_of)
    site = audits.site[audit]
    site = np.where(site >= 0, site, _pick(rng, SITE_SHARE, n))
    # A certification audit cites its standard; other audits cite any of the standards they cover.
    pool_of_type = np.array(
        [len(STANDARDS) + list(STANDARD_WEIGHTS).index(t) if t in STANDARD_WEIGHTS else -1 for t in AUDIT_TYPES]
    )
    pool = np.where(audits.standard[audit] >= 0, audits.standard[audit], pool_of_type[kind])
    severity = np.empty(n, dtype=np.int64)
    for number, name in enumerate(AUDIT_TYPES):
        rows = np.flatnonzero(kind == number)
        severity[rows] = _pick(rng, SEVERITY_WEIGHTS[name], len(rows))

    order = np.argsort(raised, kind="stable")
    audit, kind, raised, site, pool, severity = (a[order] for a in (audit, kind, raised, site, pool, severity))
    supplier_audit = kind == AUDIT_TYPES.index("supplier")
    t = period.progress(raised)
    month = period.month_index(raised)

    clauses = ClauseTable.build()
    clause = clauses.sample(rng, pool)[:, 0]
    nc = severity <= SEVERITIES.index("minor_nc")
    repeat_share = 0.035 + 0.17 * t + _monthly_noise(rng, period, 0.01)[month]
    wants_repeat = nc & ~supplier_audit & (rng.random(n) < repeat_share)
    repeat_of = _assign_nc_clauses(rng, clauses, clause, pool, nc, wants_repeat, supplier_audit, site, raised)
    standard = clauses.standard[clause]

    department = np.where(supplier_audit, DEPARTMENTS.index("Purchasing"), clauses.department[clause])
    process_names = [*dict.fromkeys(clauses.process), "Supplier management"]
    process_of_clause = np.array([process_names.index(p) for p in clauses.process])
    process = np.where(supplier_audit, len(process_names) - 1, process_of_clause[clause])
    ofi = severity == SEVERITIES.index("ofi")
    template = np.where(ofi, len(clauses.description) + rng.integers(0, len(OFI_TEMPLATES), n), clause)

    # Closing: more on time as the years pass, and the late ones less late; a long tail waits for months.
    window = DAYS_TO_DUE[severity]
    on_time_share = 0.60 + 0.20 * t + _monthly_noise(rng, period, 0.03)[month]
    on_time = rng.random(n) < np.clip(on_time_share, 0.3, 0.97)
    lateness = 1 + np.floor(rng.exponential(35 - 20 * t)).astype(np.int64)
    lateness = np.where(rng.random(n) < 0.08, 90 + rng.integers(0, 330, n), lateness)
    closing = raised + np.where(on_time, np.floor(window * rng.beta(2.0, 1.4, n)).astype(np.int64), window + lateness)
    cancelled = rng.random(n) < 0.02
    closed = ~cancelled & (closing <= period.as_of)
    evaluated = nc & closed & (closing <= period.as_of - 45)
    # Actions were judged effective less often as time went on, and seldom when the problem came back.
    came_back = np.isin(np.arange(n), repeat_of)
    effective_share = np.where(came_back, 0.35, 0.88 - 0.08 * t)
    effectiveness = np.where(evaluated, _verdicts(rng, effective_share, 0.65), -1)
    fresh = (period.as_of - raised).astype(np.int64) <= 10
    open_status = np.where(fresh | (rng.random(n) < 0.3), 0, 1)
    # open / in_progress / closed / verified (effectiveness checked) / cancelled
    status = np.select([cancelled, evaluated, closed], [4, 3, 2], open_status)

    root_cause = np.where(
        supplier_audit & (rng.random(n) < 0.7), ROOT_CAUSES.index("Supplier quality"), _pick(rng, ROOT_CAUSE_WEIGHTS, n)
    )
    root_cause = np.where(nc & (status >= 1) & (status <= 3), root_cause, -1)  # analysed once work has started
    deputies = len(OWNERS[0]) - len(DEPARTMENTS)
    owner = site * len(OWNERS[0]) + np.where(
        rng.random(n) < 0.75, department, len(DEPARTMENTS) + rng.integers(0, deputies, n)
    )

    year = raised.astype("datetime64[Y]").astype(np.int64) + 1970
    sequence = np.arange(n) - np.searchsorted(year, year) + 1  # numbered within the year in raised order
    earlier = np.clip(repeat_of, 0, None)
    frame = pd.DataFrame(
        {
            "year": year,
            "sequence": sequence,
            "audit_id": _category(audit, audits.audit_id),
            "audit_type": _category(kind, AUDIT_TYPES),
            "standard": _category(standard, STANDARDS),
            "clause": _category(clause, clauses.clause),
            "site": _category(site, [s[0] for s in SITES]),
            "department": _category(department, DEPARTMENTS),
            "process": _category(process, process_names),
            "severity": _category(severity, SEVERITIES),
            "source": _category(kind, [AUDIT_SOURCES[name] for name in AUDIT_TYPES]),
            "supplier": _category(audits.supplier[audit], SUPPLIERS),
            "template": _category(template, [*clauses.description, *OFI_TEMPLATES]),
            "n": rng.integers(100, 1000, n),
            "k": rng.integers(2, 10, n),
            "raised_on": _dates(raised),
            "due_on": _dates(raised + window),
            "closed_on": _dates(np.where(closed, closing, np.datetime64("NaT"))),
            "status": _category(status, ("open", "in_progress", "closed", "verified", "cancelled")),
            "root_cause": _category(root_cause, ROOT_CAUSES),
            "owner": _category(owner, [name for names in OWNERS for name in names]),
            "repeat_year": np.where(repeat_of >= 0, year[earlier], -1),
            "repeat_sequence": np.where(repeat_of >= 0, sequence[earlier], -1),
            "effectiveness": _category(effectiveness, ("effective", "partially_effective", "not_effective")),
        }
    )
    select = """
        SELECT $prefix || 'F-' || year || '-' || lpad(CAST(sequence AS VARCHAR), $width, '0') AS finding_id,
               $prefix || audit_id AS audit_id, audit_type, standard, clause, site, department, process, severity, source,
               coalesce('Supplier ' || supplier || ': ', '')
                 || replace(replace(replace(template, '{n}', CAST(n AS VARCHAR)), '{k}', CAST(k AS VARCHAR)),
                            '{process}', lower(process)) AS description,
               CAST(raised_on AS DATE) AS raised_on, CAST(due_on AS DATE) AS due_on,
               CAST(closed_on AS DATE) AS closed_on, status, root_cause, owner,
               CASE WHEN repeat_year >= 0
                    THEN $prefix || 'F-' || repeat_year || '-' || lpad(CAST(repeat_sequence AS VARCHAR), $width, '0')
               END AS repeat_of,
               effectiveness
        FROM frame
    """
    return frame, select, {"width": max(4, len(str(int(sequence.max())) if n else 1)), "prefix": DEMO_PREFIX}


def _assign_nc_clauses(
    rng: np.random.Generator,
    clauses: ClauseTable,
    clause: np.ndarray,
    pool: np.ndarray,
    nc: np.ndarray,
    wants_repeat: np.ndarray,
    supplier_audit: np.ndarray,
    site: np.ndarray,
    raised: np.ndarray,
) -> np.ndarray:
    """Set each nonconformity's clause (rows in raised order) and return repeat_of as row index, -1 for none.

    A repeat takes the clause of an earlier nonconformity at its site from the year before. The others
    prefer a clause not cited at their site lately, so that recurrence in the data is the repeats, not chance.
    """
    rows = np.flatnonzero(nc)
    # Clauses of the standard first drawn, then of every standard the audit covers: the standards' mix
    # only bends where one standard has no clause left that was not cited lately.
    same_standard = clauses.sample(rng, clauses.standard[clause[rows]], CLAUSE_CANDIDATES // 2)
    any_standard = clauses.sample(rng, pool[rows], CLAUSE_CANDIDATES // 2)
    candidates = np.hstack([same_standard, any_standard]).tolist()
    pick = rng.random(len(rows)).tolist()
    day = raised.astype(np.int64).tolist()
    text_id = clauses.text_id.tolist()
    repeat_of = np.full(len(clause), -1, dtype=np.int64)
    last_cited: list[dict[int, int]] = [{} for _ in SITES]
    history_days: list[list[int]] = [[] for _ in SITES]
    history_rows: list[list[int]] = [[] for _ in SITES]
    for position, row in enumerate(rows.tolist()):
        s, today = int(site[row]), day[row]
        chosen = -1
        if wants_repeat[row]:
            lo = bisect.bisect_left(history_days[s], today - REPEAT_WINDOW_DAYS)
            hi = bisect.bisect_left(history_days[s], today)
            earlier = history_rows[s][lo + int(pick[position] * (hi - lo))] if hi > lo else -1
            # One audit does not raise the same clause twice: then this is not a repeat after all.
            if earlier >= 0 and last_cited[s].get(text_id[clause[earlier]]) != today:
                chosen = int(clause[earlier])
                repeat_of[row] = earlier
        if chosen < 0:
            cited = last_cited[s]
            oldest = None
            for candidate in candidates[position]:
                last = cited.get(text_id[candidate])
                if last is None or last < today - CLAUSE_REST_DAYS:
                    chosen = candidate
                    break
                if oldest is None or last < oldest:
                    chosen, oldest = candidate, last
        clause[row] = chosen
        last_cited[s][text_id[chosen]] = today
        if not supplier_audit[row]:
            history_days[s].append(today)
            history_rows[s].append(row)
    return repeat_of


# --- survey ---------------------------------------------------------------------------------------


@dataclass
class Waves:
    """Survey waves, question list and answers (parallel arrays, one block per wave) as they are built."""

    surveys: list[tuple[str, str, str]]  # (survey_id, survey_type, stakeholder)
    questions: list[tuple[str, str, str, str]]  # (question_id, question_text, pillar, scale)
    blocks: list[dict[str, np.ndarray]]

    def add_questions(self, rows: list[tuple[str, str, str, str]]) -> list[int]:
        first = len(self.questions)
        self.questions.extend(rows)
        return list(range(first, len(self.questions)))

    def add_wave(
        self,
        survey: tuple[str, str, str],
        keep: np.ndarray,
        days: np.ndarray,
        site: np.ndarray,
        department: np.ndarray,
        question_ids: list[int],
        scores: np.ndarray,
        answered: np.ndarray,
        comment: np.ndarray,
    ) -> None:
        """One row per answered (respondent, question) of the people `keep` marks (those who answered by the as-of
        date); response ids follow the order people answered."""
        days, site, department = days[keep], site[keep], department[keep]
        scores, answered, comment = scores[keep], answered[keep], comment[keep]
        order = np.argsort(days, kind="stable")
        respondent, slot = np.nonzero(answered[order])
        person = order[respondent]
        self.surveys.append(survey)
        self.blocks.append(
            {
                "survey": np.full(len(person), len(self.surveys) - 1),
                "respondent": respondent + 1,
                "day": days[person],
                "site": site[person],
                "department": department[person],
                "question": np.array(question_ids)[slot],
                "score": scores[person, slot],
                "comment": comment[person, slot],
            }
        )

    def column(self, name: str) -> np.ndarray:
        return np.concatenate([block[name] for block in self.blocks])


def survey_table(rng: np.random.Generator, period: Period, scale: float) -> tuple[pd.DataFrame, str, dict]:
    """Quarterly engagement survey, monthly customer NPS and CSAT, suppliers twice a year, investors yearly."""
    waves = Waves([], [], [])
    _engagement(rng, period, scale, waves)
    _customers(rng, period, scale, waves)
    _partners(rng, period, scale, waves)
    survey = waves.column("survey")
    question = waves.column("question")
    respondent = waves.column("respondent")
    frame = pd.DataFrame(
        {
            "respondent": respondent,
            "survey_id": _category(survey, [s[0] for s in waves.surveys]),
            "survey_type": _category(survey, [s[1] for s in waves.surveys]),
            "stakeholder": _category(survey, [s[2] for s in waves.surveys]),
            "responded_on": _dates(waves.column("day")),
            "site": _category(waves.column("site"), [s[0] for s in SITES]),
            "department": _category(waves.column("department"), DEPARTMENTS),
            "question_id": _category(question, [q[0] for q in waves.questions]),
            "question_text": _category(question, [q[1] for q in waves.questions]),
            "pillar": _category(question, [q[2] for q in waves.questions]),
            "scale": _category(question, [q[3] for q in waves.questions]),
            "score": waves.column("score"),
            "comment": _category(waves.column("comment"), [*ENGAGEMENT_COMMENTS, *CUSTOMER_COMMENTS]),
        }
    )
    select = """
        SELECT $prefix || 'R' || lpad(CAST(respondent AS VARCHAR), $width, '0') AS response_id,
               $prefix || CAST(survey_id AS VARCHAR) AS survey_id, survey_type,
               stakeholder, CAST(responded_on AS DATE) AS responded_on, site, department, question_id,
               question_text, pillar, scale, score, comment
        FROM frame
    """
    width = max(5, len(str(int(respondent.max())))) if len(respondent) else 5
    return frame, select, {"width": width, "prefix": DEMO_PREFIX}


def _likert(rng: np.random.Generator, favourable: np.ndarray, top: int) -> np.ndarray:
    """Scores 1..top: favourable answers in the top boxes (4-5 of 5, 5-7 of 7), the others below them."""
    shape, size = favourable.shape, favourable.size
    if top == 5:
        high = 4 + (rng.random(shape) < 0.4)
        low = 1 + _pick(rng, (0.12, 0.28, 0.60), size).reshape(shape)
    else:
        high = 5 + _pick(rng, (0.35, 0.40, 0.25), size).reshape(shape)
        low = 1 + _pick(rng, (0.06, 0.14, 0.30, 0.50), size).reshape(shape)
    return np.where(favourable, high, low)


def _comments(rng: np.random.Generator, answered: np.ndarray, share: float, first: int, count: int) -> np.ndarray:
    """Comment code per (respondent, question), -1 for none: a few respondents comment on one answer."""
    comment = np.full(answered.shape, -1, dtype=np.int64)
    commenters = np.flatnonzero(rng.random(answered.shape[0]) < share)
    slot = rng.integers(0, answered.shape[1], len(commenters))
    said = answered[commenters, slot]
    comment[commenters[said], slot[said]] = first + rng.integers(0, count, int(said.sum()))
    return comment


def _no_one(count: int) -> np.ndarray:
    return np.full(count, -1, dtype=np.int64)


def _engagement(rng: np.random.Generator, period: Period, scale: float, waves: Waves) -> None:
    """Quarterly, in the first three weeks of each quarter's second month; about 55% of staff answer."""
    question_ids = waves.add_questions([(qid, text, pillar, "likert5") for qid, pillar, text in ENGAGEMENT_QUESTIONS])
    pillars = [pillar for _, pillar, _ in ENGAGEMENT_QUESTIONS]
    start_level = np.array([FAVOURABLE_TREND[p][0] for p in pillars])
    end_level = np.array([FAVOURABLE_TREND[p][1] for p in pillars])
    item_offset = rng.normal(0, 0.12, len(pillars))
    headcount = max(1, round(sum(n for _, _, n in SITES) * scale))
    first, _ = period.months()
    for window in first:
        month = int(str(window)[5:7])
        if month % 3 != 2:
            continue
        people = rng.binomial(headcount, np.clip(RESPONSE_RATE + rng.normal(0, 0.03), 0.3, 0.9))
        days = window + rng.integers(0, 21, people)
        site = _pick(rng, SITE_SHARE, people)
        department = _pick(rng, DEPARTMENT_SHARE, people)
        t = float(period.progress(np.array([window]))[0])
        level = np.clip(start_level + (end_level - start_level) * t + rng.normal(0, 0.015, len(pillars)), 0.05, 0.95)
        mood = rng.normal(0, 0.5, people) + SITE_MOOD[site]
        chance = 1 / (1 + np.exp(-(np.log(level / (1 - level)) + item_offset)[None, :] - mood[:, None]))
        scores = _likert(rng, rng.random(chance.shape) < chance, 5)
        answered = rng.random(scores.shape) > 0.03
        comment = _comments(rng, answered, 0.04, 0, len(ENGAGEMENT_COMMENTS))
        keep = days <= period.as_of
        if keep.any():
            survey = (f"ENG-{str(window)[:4]}Q{(month + 1) // 3}", "engagement", "employee")
            waves.add_wave(survey, keep, days, site, department, question_ids, scores, answered, comment)


def _customers(rng: np.random.Generator, period: Period, scale: float, waves: Waves) -> None:
    """Monthly NPS (0-10) plus a CSAT question (1-5) per response; NPS climbs, CSAT holds steady."""
    question_ids = waves.add_questions(
        [(*NPS_QUESTION, "stakeholders", "nps10"), (*CSAT_QUESTION, "stakeholders", "csat5")]
    )
    first, length = period.months()
    noise = _monthly_noise(rng, period, 3.0)
    for m in range(period.month_count):
        people = rng.poisson(CUSTOMER_RESPONSES_PER_MONTH * scale)
        days = _uniform_days(rng, np.full(people, first[m]), np.full(people, length[m]))
        t = float(period.progress(np.array([first[m]]))[0])
        nps = (NPS_TREND[0] + (NPS_TREND[1] - NPS_TREND[0]) * t + noise[m]) / 100
        promoter = (1 - NPS_PASSIVE_SHARE + nps) / 2
        detractor = (1 - NPS_PASSIVE_SHARE - nps) / 2
        group = _pick(rng, (promoter, NPS_PASSIVE_SHARE, detractor), people)
        nps_score = np.select(
            [group == 0, group == 1],
            [9 + (rng.random(people) < 0.45), 7 + (rng.random(people) < 0.55)],
            _pick(rng, (0.03, 0.02, 0.04, 0.06, 0.10, 0.30, 0.45), people),
        )
        satisfied = rng.random(people) < np.clip(CSAT_FAVOURABLE + rng.normal(0, 0.02), 0.5, 0.98)
        csat_score = np.where(satisfied, 4 + (rng.random(people) < 0.45), 1 + _pick(rng, (0.12, 0.28, 0.60), people))
        answered = np.ones((people, 2), dtype=bool)
        comment = _comments(rng, answered[:, :1], 0.10, len(ENGAGEMENT_COMMENTS), len(CUSTOMER_COMMENTS))
        comment = np.column_stack([comment, _no_one(people)])
        keep = days <= period.as_of
        if keep.any():
            survey = (f"NPS-{str(first[m])[:7]}", "customer_nps", "customer")
            sites, scores = _pick(rng, SITE_SHARE, people), np.column_stack([nps_score, csat_score])
            waves.add_wave(survey, keep, days, sites, _no_one(people), question_ids, scores, answered, comment)


def _partners(rng: np.random.Generator, period: Period, scale: float, waves: Waves) -> None:
    """Supplier survey in May and November (1-5), investor survey each April (1-7): both steady."""
    supplier_ids = waves.add_questions([(qid, text, "stakeholders", "likert5") for qid, text in SUPPLIER_QUESTIONS])
    investor_ids = waves.add_questions([(qid, text, "stakeholders", "likert7") for qid, text in INVESTOR_QUESTIONS])
    first, _ = period.months()
    for window in first:
        year, month = str(window)[:4], int(str(window)[5:7])
        if month in SUPPLIER_SURVEY_MONTHS:
            half = 1 if month <= 6 else 2
            survey = (f"SUP-{year}H{half}", "supplier", "supplier")
            _partner_wave(rng, period, waves, survey, window, SUPPLIER_RESPONDENTS * scale, supplier_ids, 0.70, 5)
        if month == INVESTOR_SURVEY_MONTH:
            survey = (f"INV-{year}", "investor", "investor")
            _partner_wave(rng, period, waves, survey, window, INVESTOR_RESPONDENTS * scale, investor_ids, 0.72, 7)


def _partner_wave(
    rng: np.random.Generator,
    period: Period,
    waves: Waves,
    survey: tuple[str, str, str],
    window: np.datetime64,
    invited: float,
    question_ids: list[int],
    favourable: float,
    top: int,
) -> None:
    people = max(1, rng.binomial(max(1, round(invited / 0.9)), 0.9))
    days = window + rng.integers(0, 21, people)
    keep = days <= period.as_of
    if not keep.any():
        return
    chance = np.clip(favourable + rng.normal(0, 0.03) + rng.normal(0, 0.04, len(question_ids)), 0.05, 0.95)
    scores = _likert(rng, rng.random((people, len(question_ids))) < chance[None, :], top)
    answered = np.ones(scores.shape, dtype=bool)
    blank = _no_one(people)
    waves.add_wave(survey, keep, days, blank, blank, question_ids, scores, answered, np.full(scores.shape, -1))


# --- targets --------------------------------------------------------------------------------------


def targets_table(period: Period) -> tuple[pd.DataFrame, str, dict]:
    """Each KPI's default target from the start, three targets raised for the last year, one site target."""
    start = period.start
    last_year = period.month_start(MONTHS_OF_HISTORY - 12)
    rows: list[tuple[str, float, np.datetime64, str | None, str]] = []
    for kpi in KPIS:
        owner = TARGET_OWNERS[kpi.pillar]
        if kpi.id in TARGET_CHANGES:
            before, after = TARGET_CHANGES[kpi.id]
            rows.append((kpi.id, before, start, None, owner))
            rows.append((kpi.id, after, last_year, None, owner))
        elif kpi.default_target is not None:
            rows.append((kpi.id, kpi.default_target, start, None, owner))
    for kpi_id, site, target in SITE_TARGETS:
        rows.append((kpi_id, target, start, site, TARGET_OWNERS[get_kpi(kpi_id).pillar]))
    frame = pd.DataFrame(rows, columns=["kpi_id", "target", "period_start", "site", "owner"])
    frame["period_start"] = frame["period_start"].astype("datetime64[s]")
    select = """
        SELECT kpi_id, target, CAST(period_start AS DATE) AS period_start, CAST(NULL AS DATE) AS period_end,
               site, owner
        FROM frame
    """
    return frame, select, {}


# --- writing --------------------------------------------------------------------------------------


def write_csv(path: Path, frame: pd.DataFrame, select: str, params: dict) -> None:
    """Write `select` over `frame` as a UTF-8 comma-separated file with a header, rows in frame order."""
    # A private in-memory DuckDB: its CSV writer is fast and keeps the insertion order. Building the
    # rows first and then writing them is faster than writing straight from the pandas scan.
    with contextlib.closing(duckdb.connect()) as connection:
        connection.register("frame", frame)
        connection.execute(f"CREATE TABLE csv_rows AS {select}", params or None)
        connection.sql("SELECT * FROM csv_rows").write_csv(str(path), header=True)
