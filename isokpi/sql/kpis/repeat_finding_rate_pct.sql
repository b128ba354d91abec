-- Nonconformities raised in the period that repeat an earlier one (the rule of common.sql's repeat_flags).
SELECT date_trunc($grain, raised_on)::DATE AS period,
       100.0 * count(*) FILTER (WHERE is_repeat) / count(*) AS value,
       count(*) AS n
FROM repeat_flags
GROUP BY ALL
ORDER BY period
