-- Staff on record at the period's end who completed a course tied to an ISO standard in the 12 months before
-- (the month of the period's end and the 11 before it).
--
-- Months are numbered year * 12 + month - 1; $month_base is 11 months before the first period, $month_top
-- the month of the last period's end. When that span fits in 128 bits (10 years), each employee's
-- completion months become one bitmask and a period's test is a shift and an AND: one scan of training
-- instead of per-employee window passes. Longer spans merge each employee's months into covered
-- intervals instead. The two branches give the same counts; only one runs (the condition is constant).
WITH completions AS (
    SELECT employee_id, CAST(year(completed_on) * 12 + month(completed_on) - 1 AS INTEGER) AS month_index
    FROM f_training
    WHERE status = 'completed' AND completed_on IS NOT NULL AND standard IS NOT NULL
),
period_months AS (
    SELECT period, CAST(year(period_last) * 12 + month(period_last) - 1 AS INTEGER) AS end_month FROM spine
),
masks AS (
    SELECT employee_id, bit_or(CAST(1 AS UHUGEINT) << CAST(month_index - $month_base AS UHUGEINT)) AS months
    FROM completions
    WHERE month_index BETWEEN $month_base AND $month_top
    GROUP BY employee_id
),
reached_by_mask AS (
    SELECT p.period, count(*) AS reached
    FROM period_months p, masks m
    WHERE $month_top - $month_base < 128
      AND (m.months >> CAST(greatest(p.end_month - 11 - $month_base, 0) AS UHUGEINT)) & CAST(4095 AS UHUGEINT) <> 0
    GROUP BY p.period
),
months AS (
    SELECT DISTINCT employee_id, month_index FROM completions WHERE $month_top - $month_base >= 128
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
reached_by_interval AS (
    SELECT p.period, count(DISTINCT c.employee_id) AS reached
    FROM period_months p JOIN covered c ON c.covered_from <= p.end_month AND c.covered_until > p.end_month
    GROUP BY p.period
),
reached AS (
    SELECT * FROM reached_by_mask UNION ALL SELECT * FROM reached_by_interval
)
SELECT s.period, 100.0 * least(coalesce(r.reached, 0), st.staff) / st.staff AS value, st.staff AS n
FROM spine s
JOIN known_staff st USING (period)  -- staff on record, counted once per call by isokpi.kpis (staff.sql)
LEFT JOIN reached r USING (period)
WHERE st.staff > 0 AND s.period >= (SELECT date_trunc($grain, min(completed_on))::DATE FROM f_training)
ORDER BY s.period
