-- Nonconformities and observations due in the period: share closed by their due date. (Findings due after $as_of fall
-- in periods that are not complete, which are not reported.)
SELECT CAST(date_trunc($grain, "month") AS DATE) AS period,
       100.0 * sum(on_time) / sum(findings) AS value,
       CAST(sum(findings) AS BIGINT) AS n
FROM findings_months
WHERE kind = 'due' AND severity <> 'ofi'
GROUP BY ALL
HAVING sum(findings) > 0
ORDER BY period
