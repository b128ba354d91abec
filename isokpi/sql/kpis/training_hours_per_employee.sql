-- Hours of training completed in the period divided by the staff on record at its end.
SELECT s.period, coalesce(h.hours, 0) / st.staff AS value, st.staff AS n
FROM spine s
JOIN known_staff st USING (period)  -- staff on record, counted once per call by isokpi.kpis (staff.sql)
LEFT JOIN (
    SELECT date_trunc($grain, completed_on)::DATE AS period, sum(hours) AS hours
    FROM f_training_completions
    GROUP BY ALL
) h USING (period)
WHERE st.staff > 0
ORDER BY s.period
