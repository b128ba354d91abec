-- Findings of severity ofi raised in the period, per 100 staff on record at its end.
SELECT s.period, 100.0 * coalesce(o.raised, 0) / st.staff AS value, st.staff AS n
FROM spine s
JOIN known_staff st USING (period)  -- staff on record, counted once per call by isokpi.kpis (staff.sql)
LEFT JOIN (
    SELECT date_trunc($grain, raised_on)::DATE AS period, count(*) AS raised
    FROM f_findings WHERE severity = 'ofi' GROUP BY ALL
) o USING (period)
WHERE st.staff > 0 AND s.period >= (SELECT date_trunc($grain, min(raised_on))::DATE FROM f_findings)
ORDER BY s.period
