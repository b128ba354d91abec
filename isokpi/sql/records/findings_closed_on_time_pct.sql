-- The records behind kpis/findings_closed_on_time_pct.sql: the actions due in the period (and already due), its
-- denominator; in_numerator when closed by the due date.
SELECT a.*, coalesce(a.closed_on IS NOT NULL AND a.closed_on <= a.due_on, false) AS in_numerator
FROM actions a, spine s
WHERE a.due_on IS NOT NULL AND a.due_on <= $as_of AND date_trunc($grain, a.due_on)::DATE = s.period
ORDER BY a.due_on, a.finding_id
