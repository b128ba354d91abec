-- Nonconformities raised in each reported period (0 in a period without any) and how many of them repeat an
-- earlier one (common.sql's repeat_flags).
SELECT s.period, count(f.finding_id) AS ncs, count(*) FILTER (WHERE f.is_repeat) AS repeats
FROM spine s
LEFT JOIN repeat_flags f ON f.raised_on BETWEEN s.period AND s.period_last
GROUP BY ALL
ORDER BY s.period
