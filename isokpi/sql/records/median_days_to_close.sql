-- The records behind kpis/median_days_to_close.sql: the actions raised in the period (by $as_of) that are closed or
-- still open; in_numerator when closed by $as_of (an event of the Kaplan-Meier estimate), else censored at $as_of.
SELECT a.*, coalesce(a.closed_on <= $as_of, false) AS in_numerator,
       CAST(least(coalesce(a.closed_on, $as_of), $as_of) - a.raised_on AS DOUBLE) AS _days
FROM actions a, spine s
WHERE a.raised_on <= $as_of AND (a.closed_on IS NOT NULL OR a.status IN ('open', 'in_progress'))
  AND date_trunc($grain, a.raised_on)::DATE = s.period
ORDER BY a.raised_on, a.finding_id
