-- Shared CTEs for every KPI query. Parameters (all bound, never formatted in):
--   $grain        'month' | 'quarter' | 'year'
--   $periods      DATE[]: the first day of every period to report (complete periods only)
--   $as_of        DATE: the data's "today"; open items are measured up to it
--   $sites, $departments, $standards   VARCHAR[]: filters; an empty list means all
spine AS (
    SELECT period,
           CAST(CASE $grain WHEN 'month' THEN period + INTERVAL 1 MONTH
                            WHEN 'quarter' THEN period + INTERVAL 3 MONTH
                            ELSE period + INTERVAL 1 YEAR END AS DATE) - 1 AS period_last
    FROM (SELECT unnest(CAST($periods AS DATE[])) AS period)
),
f_training AS (
    SELECT * FROM training
    WHERE (len($sites) = 0 OR list_contains($sites, site))
      AND (len($departments) = 0 OR list_contains($departments, department))
      AND (len($standards) = 0 OR list_contains($standards, standard))
),
-- The training roll-ups (isokpi/sql/rollups/) under the same filters: completions by day, mandatory training by due
-- day, each employee's months with a standards course.
f_training_completions AS (
    SELECT * REPLACE (CAST(hours AS DOUBLE) AS hours) FROM rollup_training_completions
    WHERE (len($sites) = 0 OR list_contains($sites, site))
      AND (len($departments) = 0 OR list_contains($departments, department))
      AND (len($standards) = 0 OR list_contains($standards, standard))
),
f_training_due AS (
    SELECT * FROM rollup_training_due
    WHERE (len($sites) = 0 OR list_contains($sites, site))
      AND (len($departments) = 0 OR list_contains($departments, department))
      AND (len($standards) = 0 OR list_contains($standards, standard))
),
f_training_awareness AS (
    SELECT * FROM rollup_training_awareness
    WHERE (len($sites) = 0 OR list_contains($sites, site))
      AND (len($departments) = 0 OR list_contains($departments, department))
      AND (len($standards) = 0 OR list_contains($standards, standard))
),
keyed_findings AS (
    -- A finding without an audit id belongs to the audit of its type at its site on its day.
    SELECT *, coalesce(audit_id, audit_type || '|' || coalesce(site, '') || '|' || raised_on) AS audit_key
    FROM findings
),
f_findings AS (
    SELECT * FROM keyed_findings
    WHERE status <> 'cancelled'
      AND (len($sites) = 0 OR list_contains($sites, site))
      AND (len($departments) = 0 OR list_contains($departments, department))
      AND (len($standards) = 0 OR list_contains($standards, standard))
),
f_survey AS (
    -- Surveys are not tied to a standard: the standard filter does not apply to them.
    SELECT * FROM survey
    WHERE (len($sites) = 0 OR list_contains($sites, site))
      AND (len($departments) = 0 OR list_contains($departments, department))
),
-- Staff on record at a period's end: employees whose training records start on or before that day and
-- continue into the 12 months before it. Filtered by site and department, never by standard. A period whose 12
-- months (the month of its end and the 11 before) reach before the first training record has no staff count:
-- people who simply had no record yet would be missing from it (and the KPIs that divide by it have no value).
employees AS (
    -- From the roll-up of each employee's records per site and department (isokpi/sql/rollups/), not the records.
    SELECT employee_id, min(first_seen) AS first_seen, max(last_seen) AS last_seen
    FROM rollup_training_employees
    WHERE (len($sites) = 0 OR list_contains($sites, site))
      AND (len($departments) = 0 OR list_contains($departments, department))
    GROUP BY employee_id
    HAVING first_seen IS NOT NULL
),
staff AS (
    -- Counted as those started by the period's end less those whose last day is 12 months or more before it: an
    -- employee's first day is never after their last, so the second are all among the first. Two counts over a
    -- sorted column instead of a join of every period with every employee (0.11 s instead of 0.40 s for the
    -- 124,801 employees of the benchmark database).
    SELECT s.period,
           (SELECT count(*) FROM employees e WHERE e.first_seen <= s.period_last)
           - (SELECT count(*) FROM employees e WHERE e.last_seen <= s.period_last - INTERVAL 12 MONTH) AS staff
    FROM spine s
    WHERE date_trunc('month', s.period_last) - INTERVAL 11 MONTH
          >= (SELECT date_trunc('month', min(first_seen)) FROM employees)
),
-- Findings that need an action (not improvement suggestions).
actions AS (
    SELECT * FROM f_findings WHERE severity <> 'ofi'
),
-- Actions open at each period's end (raised by then, closed after it or not yet), and how many of those were
-- past their due date: a snapshot, not a flow. One pass serves both counts.
open_actions AS (
    SELECT s.period, count(*) AS open_findings, count(*) FILTER (WHERE a.due_on < s.period_last) AS overdue
    FROM spine s
    JOIN actions a ON a.raised_on <= s.period_last
                  AND (a.closed_on IS NULL OR a.closed_on > s.period_last)
                  AND (a.closed_on IS NOT NULL OR a.status IN ('open', 'in_progress'))
    GROUP BY s.period
),
-- Nonconformities the filters select, each with whether it repeats an earlier one of another audit: an explicit
-- repeat_of (unless the finding it names is of the same audit), or a nonconformity of another audit on the same
-- clause of the same standard at the same site within the 365 days before. The earlier one is looked for among all
-- findings, whatever the filters (another department's counts). Two findings of one audit are one finding's parts,
-- not a recurrence: the latest earlier finding of another audit is the one before the current stretch of the same
-- audit (in order of raised_on, finding_id).
ncs AS (
    SELECT finding_id, standard, clause, site, department, raised_on, repeat_of, audit_key,
           clause IS NOT NULL AND site IS NOT NULL AND standard IS NOT NULL AS placed,
           lag(raised_on) OVER clause_order AS before_on,
           lag(audit_key) OVER clause_order IS DISTINCT FROM audit_key AS new_audit
    FROM keyed_findings
    WHERE status <> 'cancelled' AND severity IN ('major_nc', 'minor_nc')
    WINDOW clause_order AS (PARTITION BY standard, site, clause ORDER BY raised_on, finding_id)
),
audit_stretches AS (
    -- The raised_on of the latest earlier finding of another audit: the one before the current stretch of the same
    -- audit, whose first finding carries it as before_on (raised_on is never NULL, so only a clause's first finding
    -- has none).
    SELECT *, last_value(CASE WHEN new_audit THEN before_on END IGNORE NULLS) OVER (
                  PARTITION BY standard, site, clause ORDER BY raised_on, finding_id ROWS UNBOUNDED PRECEDING
              ) AS previous_on
    FROM ncs
),
repeat_flags AS (
    SELECT n.finding_id, n.standard, n.clause, n.site, n.raised_on, n.repeat_of,
           coalesce(
               (n.repeat_of IS NOT NULL AND r.audit_key IS DISTINCT FROM n.audit_key)
               OR (n.placed AND n.raised_on - n.previous_on <= 365),
               false
           ) AS is_repeat
    FROM audit_stretches n
    LEFT JOIN keyed_findings r ON r.finding_id = n.repeat_of
    -- The filters on the nonconformity's own site, department and standard, after the look-back (not a semi join
    -- with f_findings: 0.70 s -> 0.40 s for the 506,201 findings of the benchmark database, with the single window
    -- of audit_stretches instead of a running count and a maximum per stretch).
    WHERE (len($sites) = 0 OR list_contains($sites, n.site))
      AND (len($departments) = 0 OR list_contains($departments, n.department))
      AND (len($standards) = 0 OR list_contains($standards, n.standard))
)
