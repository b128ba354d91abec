-- Simple employees' coverage by standards training (standards_awareness_coverage_pct): a completed course tied to a
-- standard covers its month and the 11 after it; each run of covered months counts +1 in the month it starts and +1 in
-- `ends` in the month after it, for each standard and for all standards together (scope '*'). Months are numbered
-- year * 12 + month - 1.
WITH completions AS (
    SELECT DISTINCT r._side, r.employee_id, r.site, r.department, r.standard,
           CAST(year(r.completed_on) * 12 + month(r.completed_on) - 1 AS INTEGER) AS month_index
    FROM input_rows r
    JOIN employee_flags f USING (_side, employee_id)
    WHERE f.simple AND r.status = 'completed' AND r.completed_on IS NOT NULL AND r.standard IS NOT NULL
),
scoped AS (
    SELECT _side, employee_id, site, department, standard AS scope, month_index FROM completions
    UNION
    SELECT _side, employee_id, site, department, '*', month_index FROM completions
),
starts AS (
    SELECT *, CASE WHEN lag(month_index) OVER months + 12 >= month_index THEN 0 ELSE 1 END AS new_run
    FROM scoped
    WINDOW months AS (PARTITION BY _side, employee_id, scope ORDER BY month_index)
),
runs AS (
    SELECT *, sum(new_run) OVER (PARTITION BY _side, employee_id, scope ORDER BY month_index) AS run
    FROM starts
),
covered AS (
    SELECT _side, scope, site, department, min(month_index) AS covered_from, max(month_index) + 12 AS covered_until
    FROM runs
    GROUP BY _side, employee_id, scope, site, department, run
)
SELECT _side, scope, site, department, month_index, sum(starts) AS starts, sum(ends) AS ends
FROM (
    SELECT _side, scope, site, department, covered_from AS month_index, 1 AS starts, 0 AS ends FROM covered
    UNION ALL
    SELECT _side, scope, site, department, covered_until, 0, 1 FROM covered
)
GROUP BY ALL
