-- Nonconformities raised in each reported period (0 in a period without any) and how many of them repeat an
-- earlier one (common.sql's repeat_flags). As the repeat_finding_rate_pct KPI: only periods whose 12-month
-- look-back lies within the findings on record, since older repeats cannot be seen.
SELECT s.period, count(f.finding_id) AS ncs, count(*) FILTER (WHERE f.is_repeat) AS repeats
FROM spine s
LEFT JOIN repeat_flags f ON f.raised_on BETWEEN s.period AND s.period_last
WHERE s.period >= (SELECT date_trunc('month', min(raised_on)) + INTERVAL 12 MONTH FROM findings)
GROUP BY ALL
ORDER BY s.period
