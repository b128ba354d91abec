-- Nonconformities raised in the period that repeat an earlier one (the rule of common.sql's repeat_flags). A period
-- whose findings' 12-month look-back reaches before the first finding on record has no value: a repeat of something
-- older than the data cannot be seen, so the first year would look better than it was.
SELECT date_trunc($grain, raised_on)::DATE AS period,
       100.0 * count(*) FILTER (WHERE is_repeat) / count(*) AS value,
       count(*) AS n
FROM repeat_flags
WHERE date_trunc($grain, raised_on) >= (SELECT date_trunc('month', min(raised_on)) + INTERVAL 12 MONTH FROM findings)
GROUP BY ALL
ORDER BY period
