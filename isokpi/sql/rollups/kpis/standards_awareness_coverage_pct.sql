-- Staff on record at the period's end who completed a course tied to an ISO standard in the 12 months before (the month
-- of the period's end and the 11 before it). Simple employees come from the runs of covered months of
-- rollup_training_coverage_months, for all standards or the one standard filtered; employees in several cells, and
-- everyone when several standards are filtered, from their completion days, as the interval branch of
-- kpis/standards_awareness_coverage_pct.sql. Months are numbered year * 12 + month - 1.
WITH period_months AS (
    SELECT period, CAST(year(period_last) * 12 + month(period_last) - 1 AS INTEGER) AS end_month FROM spine
),
coverage AS (
    SELECT month_index, sum(starts) AS starts, sum(ends) AS ends
    FROM rollup_training_coverage_months
    WHERE len($standards) <= 1
      AND scope = CASE WHEN len($standards) = 0 THEN '*' ELSE $standards[1] END
      AND (len($sites) = 0 OR list_contains($sites, site))
      AND (len($departments) = 0 OR list_contains($departments, department))
    GROUP BY month_index
),
reached_simple AS (
    SELECT p.period, sum(c.starts) - sum(c.ends) AS reached
    FROM period_months p JOIN coverage c ON c.month_index <= p.end_month
    GROUP BY p.period
),
months AS (
    SELECT DISTINCT employee_id, CAST(year("day") * 12 + month("day") - 1 AS INTEGER) AS month_index
    FROM (
        SELECT employee_id, unnest(days) AS "day"
        FROM training_employee_standards
        WHERE standard IS NOT NULL AND (NOT simple OR len($standards) > 1)
    )
),
starts AS (
    SELECT employee_id, month_index,
           CASE WHEN lag(month_index) OVER (PARTITION BY employee_id ORDER BY month_index) + 12 >= month_index
                THEN 0 ELSE 1 END AS new_interval
    FROM months
),
islands AS (
    SELECT employee_id, month_index, sum(new_interval) OVER (PARTITION BY employee_id ORDER BY month_index) AS island
    FROM starts
),
covered AS (
    SELECT employee_id, min(month_index) AS covered_from, max(month_index) + 12 AS covered_until
    FROM islands GROUP BY employee_id, island
),
reached_one_by_one AS (
    SELECT p.period, count(DISTINCT c.employee_id) AS reached
    FROM period_months p JOIN covered c ON c.covered_from <= p.end_month AND c.covered_until > p.end_month
    GROUP BY p.period
),
reached AS (
    SELECT period, sum(reached) AS reached
    FROM (SELECT * FROM reached_simple UNION ALL SELECT * FROM reached_one_by_one)
    GROUP BY period
)
SELECT s.period, 100.0 * least(coalesce(r.reached, 0), st.staff) / st.staff AS value, st.staff AS n
FROM spine s
JOIN known_staff st USING (period)  -- staff on record, counted once per call by isokpi.kpis (staff.sql)
LEFT JOIN reached r USING (period)
WHERE st.staff > 0
  AND s.period >= (
      SELECT CAST(date_trunc($grain, min(completed_on)) AS DATE)
      FROM (SELECT completed_on FROM training_completions GROUP BY completed_on HAVING sum(dated) > 0)
  )
ORDER BY s.period
