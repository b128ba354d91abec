-- Findings still open past their due date at the end of the period (open_actions), per 100 staff on record.
SELECT s.period, 100.0 * coalesce(o.overdue, 0) / st.staff AS value, st.staff AS n
FROM spine s
JOIN known_staff st USING (period)  -- staff on record, counted once per call by isokpi.kpis (staff.sql)
LEFT JOIN open_actions o USING (period)
WHERE st.staff > 0 AND s.period >= (SELECT date_trunc($grain, min(raised_on))::DATE FROM f_findings)
ORDER BY s.period
