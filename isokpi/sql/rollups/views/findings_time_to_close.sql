-- Kaplan-Meier input for findings that need an action raised from $date_from up to $day: per whole number of days, how
-- many closed after that long and how many are still open on $day after that long. When every finding was raised and
-- closed by $day ($last_raised, $last_closed) and the range starts with a month, the closed ones come by days to close
-- and the open ones by the day raised (rollup_findings_close_times); otherwise day by day (rollup_findings_facts).
SELECT CAST(coalesce(days_to_close, $day - open_since) AS INTEGER) AS days,
       CAST(coalesce(sum(findings) FILTER (WHERE days_to_close IS NOT NULL), 0) AS BIGINT) AS closed,
       CAST(coalesce(sum(findings) FILTER (WHERE days_to_close IS NULL), 0) AS BIGINT) AS still_open
FROM findings_close_times
WHERE coalesce(CAST($last_closed AS DATE) <= $day, true) AND coalesce(CAST($last_raised AS DATE) <= $day, true)
      AND ($date_from IS NULL OR day(CAST($date_from AS DATE)) = 1)
  AND ($date_from IS NULL OR raised_month >= $date_from)
GROUP BY ALL
HAVING sum(findings) > 0
UNION ALL
SELECT CAST(CASE WHEN closed_on <= $day THEN closed_on ELSE $day END - raised_on AS INTEGER) AS days,
       CAST(coalesce(sum(findings) FILTER (WHERE closed_on <= $day), 0) AS BIGINT) AS closed,
       CAST(coalesce(sum(findings) FILTER (WHERE closed_on IS NULL OR closed_on > $day), 0) AS BIGINT) AS still_open
FROM findings_facts
WHERE NOT (coalesce(CAST($last_closed AS DATE) <= $day, true) AND coalesce(CAST($last_raised AS DATE) <= $day, true)
           AND ($date_from IS NULL OR day(CAST($date_from AS DATE)) = 1))
  AND severity <> 'ofi' AND raised_on <= $day AND ($date_from IS NULL OR raised_on >= $date_from)
  AND (closed_on IS NOT NULL OR open_status)
GROUP BY ALL
HAVING sum(findings) > 0
ORDER BY days
