-- Kaplan-Meier input for findings raised in the period: per whole number of days open, how many closed
-- then (events) and how many are still open after that long (censored at $as_of). isokpi.kpis turns
-- these counts into the median; a mean of closed findings would hide the slow ones still open. A finding
-- closed after $as_of was still open on that day.
SELECT date_trunc($grain, raised_on)::DATE AS period,
       CAST(least(coalesce(closed_on, $as_of), $as_of) - raised_on AS DOUBLE) AS days,
       count(*) FILTER (WHERE closed_on <= $as_of) AS closed,
       count(*) FILTER (WHERE closed_on IS NULL OR closed_on > $as_of) AS still_open
FROM actions
WHERE raised_on <= $as_of AND (closed_on IS NOT NULL OR status IN ('open', 'in_progress'))
GROUP BY ALL
ORDER BY period, days
