-- Nonconformities raised in the period that repeat an earlier one (common.sql's repeat_flags, kept per month by
-- rollup_findings_repeat_months). A period whose 12-month look-back reaches before the first finding on record has no
-- value.
SELECT CAST(date_trunc($grain, raised_month) AS DATE) AS period,
       100.0 * sum(repeats) / sum(ncs) AS value,
       CAST(sum(ncs) AS BIGINT) AS n
FROM findings_repeat_months
WHERE date_trunc($grain, raised_month)
      >= (SELECT date_trunc('month', first_day) + INTERVAL 12 MONTH FROM first_days WHERE dataset = 'findings')
GROUP BY ALL
HAVING sum(ncs) > 0
ORDER BY period
