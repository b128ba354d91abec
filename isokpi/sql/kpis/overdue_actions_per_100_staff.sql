-- Findings still open past their due date at the end of the period, per 100 staff on record.
WITH overdue AS (
    SELECT s.period, count(a.finding_id) AS overdue
    FROM spine s
    JOIN actions a ON a.raised_on <= s.period_last AND a.due_on < s.period_last
                  AND (a.closed_on IS NULL OR a.closed_on > s.period_last)
                  AND (a.closed_on IS NOT NULL OR a.status IN ('open', 'in_progress'))
    GROUP BY s.period
)
SELECT s.period, 100.0 * coalesce(o.overdue, 0) / st.staff AS value, st.staff AS n
FROM spine s
JOIN known_staff st USING (period)  -- staff on record, counted once per call by isokpi.kpis (staff.sql)
LEFT JOIN overdue o USING (period)
WHERE st.staff > 0 AND s.period >= (SELECT date_trunc($grain, min(raised_on))::DATE FROM f_findings)
ORDER BY s.period
