-- The records behind kpis/repeat_finding_rate_pct.sql: the nonconformities raised in the period (common.sql's
-- repeat_flags), its denominator; in_numerator for those that repeat an earlier one. None before a year of findings.
SELECT f.*, r.is_repeat AS in_numerator
FROM repeat_flags r
JOIN f_findings f USING (finding_id)
CROSS JOIN spine s
WHERE date_trunc($grain, r.raised_on)::DATE = s.period
  AND date_trunc($grain, r.raised_on) >= (SELECT date_trunc('month', min(raised_on)) + INTERVAL 12 MONTH FROM findings)
ORDER BY f.raised_on, f.finding_id
