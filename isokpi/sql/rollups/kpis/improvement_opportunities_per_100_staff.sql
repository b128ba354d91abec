-- Findings of severity ofi raised in the period, per 100 staff on record at its end.
SELECT s.period, 100.0 * coalesce(o.raised, 0) / st.staff AS value, st.staff AS n
FROM spine s
JOIN known_staff st USING (period)  -- staff on record, counted once per call by isokpi.kpis (staff.sql)
LEFT JOIN (
    SELECT CAST(date_trunc($grain, "month") AS DATE) AS period, sum(findings) AS raised
    FROM findings_months WHERE kind = 'raised' AND severity = 'ofi' GROUP BY ALL
) o USING (period)
WHERE st.staff > 0
  AND s.period >= (
      SELECT CAST(date_trunc($grain, min("month")) AS DATE)
      FROM (SELECT "month" FROM findings_months WHERE kind = 'raised' GROUP BY ALL HAVING sum(findings) > 0)
  )
ORDER BY s.period
