-- Hours of training completed in the period divided by the staff on record at its end.
SELECT s.period, coalesce(h.hours, 0) / st.staff AS value, st.staff AS n
FROM spine s
JOIN known_staff st USING (period)  -- staff on record, counted once per call by isokpi.kpis (staff.sql)
LEFT JOIN (
    SELECT CAST(date_trunc($grain, completed_on) AS DATE) AS period, sum("hours") AS hours
    FROM training_completions
    GROUP BY ALL
    HAVING sum(completed) > 0
) h USING (period)
WHERE st.staff > 0
ORDER BY s.period
