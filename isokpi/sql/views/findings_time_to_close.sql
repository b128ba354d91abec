-- Kaplan-Meier input for findings that need an action raised from $date_from up to $day: per whole number of
-- days, how many closed after that long and how many are still open on $day after that long (censored), as
-- in the median_days_to_close KPI.
SELECT CAST(CASE WHEN closed_on <= $day THEN closed_on ELSE $day END - raised_on AS INTEGER) AS days,
       count(*) FILTER (WHERE closed_on <= $day) AS closed,
       count(*) FILTER (WHERE closed_on IS NULL OR closed_on > $day) AS still_open
FROM actions
WHERE raised_on <= $day AND ($date_from IS NULL OR raised_on >= $date_from)
  AND (closed_on IS NOT NULL OR status IN ('open', 'in_progress'))
GROUP BY ALL
ORDER BY days
