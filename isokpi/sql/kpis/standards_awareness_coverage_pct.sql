-- Staff on record at the period's end who completed a course tied to an ISO standard in the 12 months before.
-- Each employee's completion months are merged into covered intervals [first month, last month + 12 months),
-- so the per-period count is one range join over a few intervals per employee.
WITH months AS (
    SELECT DISTINCT employee_id, date_trunc('month', completed_on)::DATE AS m
    FROM f_training
    WHERE status = 'completed' AND completed_on IS NOT NULL AND standard IS NOT NULL
),
starts AS (
    SELECT employee_id, m,
           CASE WHEN lag(m) OVER (PARTITION BY employee_id ORDER BY m) + INTERVAL 12 MONTH >= m THEN 0 ELSE 1 END AS new_interval
    FROM months
),
islands AS (
    SELECT employee_id, m, sum(new_interval) OVER (PARTITION BY employee_id ORDER BY m) AS island FROM starts
),
covered AS (
    SELECT employee_id, min(m) AS covered_from, CAST(max(m) + INTERVAL 12 MONTH AS DATE) AS covered_until
    FROM islands GROUP BY employee_id, island
),
reached AS (
    SELECT s.period, count(DISTINCT c.employee_id) AS reached
    FROM spine s JOIN covered c ON c.covered_from <= s.period_last AND c.covered_until > s.period_last
    GROUP BY s.period
)
SELECT s.period, 100.0 * least(coalesce(r.reached, 0), st.staff) / st.staff AS value, st.staff AS n
FROM spine s
JOIN staff st USING (period)
LEFT JOIN reached r USING (period)
WHERE st.staff > 0 AND s.period >= (SELECT date_trunc($grain, min(completed_on))::DATE FROM f_training)
ORDER BY s.period
