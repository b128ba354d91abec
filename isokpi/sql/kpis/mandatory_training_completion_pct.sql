-- Mandatory, not cancelled records due in the period (and already due): share completed by their due date.
SELECT date_trunc($grain, due_date)::DATE AS period,
       100.0 * CAST(sum(on_time) AS BIGINT) / CAST(sum(due) AS BIGINT) AS value, CAST(sum(due) AS BIGINT) AS n
FROM f_training_due  -- counted per due day (isokpi/sql/rollups/training_due.sql)
WHERE due_date <= $as_of
GROUP BY ALL
ORDER BY period
