-- Mandatory, not cancelled records due in the period: share completed by their due date. (Records due after $as_of
-- fall in periods that are not complete, which are not reported.)
SELECT CAST(date_trunc($grain, due_month) AS DATE) AS period,
       100.0 * sum(on_time) / sum(due) AS value,
       CAST(sum(due) AS BIGINT) AS n
FROM training_due
GROUP BY ALL
HAVING sum(due) > 0
ORDER BY period
