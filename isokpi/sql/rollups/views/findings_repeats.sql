-- Nonconformities raised in each reported period (0 in a period without any) and how many of them repeat an earlier
-- one; only periods whose 12-month look-back lies within the findings on record.
WITH counted AS (
    SELECT CAST(date_trunc($grain, raised_month) AS DATE) AS period, sum(ncs) AS ncs, sum(repeats) AS repeats
    FROM findings_repeat_months
    GROUP BY ALL
)
SELECT s.period, CAST(coalesce(c.ncs, 0) AS BIGINT) AS ncs, CAST(coalesce(c.repeats, 0) AS BIGINT) AS repeats
FROM spine s
LEFT JOIN counted c USING (period)
WHERE s.period >= (SELECT date_trunc('month', first_day) + INTERVAL 12 MONTH FROM first_days WHERE dataset = 'findings')
ORDER BY s.period
