-- Kaplan-Meier input for findings raised in the period: per whole number of days open, how many closed
-- then (events) and how many are still open after that long (censored at $as_of). isokpi.kpis turns
-- these counts into the median; a mean of closed findings would hide the slow ones still open.
SELECT date_trunc($grain, raised_on)::DATE AS period,
       CAST(coalesce(closed_on, $as_of) - raised_on AS DOUBLE) AS days,
       count(*) FILTER (WHERE closed_on IS NOT NULL) AS closed,
       count(*) FILTER (WHERE closed_on IS NULL) AS still_open
FROM actions
WHERE raised_on <= $as_of AND (closed_on IS NOT NULL OR status IN ('open', 'in_progress'))
GROUP BY ALL
ORDER BY period, days
