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
f_findings AS (
    SELECT * FROM findings
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
-- continue into the 12 months before it. Filtered by site and department, never by standard.
employees AS (
    SELECT employee_id, min(least(due_date, completed_on)) AS first_seen, max(greatest(due_date, completed_on)) AS last_seen
    FROM training
    WHERE (len($sites) = 0 OR list_contains($sites, site))
      AND (len($departments) = 0 OR list_contains($departments, department))
    GROUP BY employee_id
    HAVING first_seen IS NOT NULL
),
staff AS (
    SELECT s.period, count(e.employee_id) AS staff
    FROM spine s
    LEFT JOIN employees e ON e.first_seen <= s.period_last AND e.last_seen > s.period_last - INTERVAL 12 MONTH
    GROUP BY s.period
),
-- Findings that need an action (not improvement suggestions).
actions AS (
    SELECT * FROM f_findings WHERE severity <> 'ofi'
)
