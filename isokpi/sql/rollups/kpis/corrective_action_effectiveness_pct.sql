-- Nonconformities closed in the period: share of those with an effectiveness review judged effective; eligible counts
-- every closure, reviewed yet or not.
SELECT CAST(date_trunc($grain, "month") AS DATE) AS period,
       100.0 * sum(effective) / nullif(sum(evaluated), 0) AS value,
       CAST(sum(evaluated) AS BIGINT) AS n,
       CAST(sum(findings) AS BIGINT) AS eligible
FROM findings_months
WHERE kind = 'closed' AND severity IN ('major_nc', 'minor_nc')
GROUP BY ALL
HAVING sum(findings) > 0
ORDER BY period
