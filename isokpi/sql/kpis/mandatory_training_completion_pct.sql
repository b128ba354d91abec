-- Mandatory, not cancelled records due in the period (and already due): share completed by their due date.
SELECT date_trunc($grain, due_date)::DATE AS period,
       100.0 * count(*) FILTER (WHERE completed_on IS NOT NULL AND completed_on <= due_date) / count(*) AS value,
       count(*) AS n
FROM f_training
WHERE is_mandatory AND status <> 'cancelled' AND due_date IS NOT NULL AND due_date <= $as_of
GROUP BY ALL
ORDER BY period
