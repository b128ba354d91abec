-- Kaplan-Meier input for findings raised in the period: per whole number of days open, how many closed then and how many
-- are still open after that long (censored at $as_of). When no finding closed after $as_of ($last_closed), the closed
-- ones come by days to close and the open ones by the day raised (rollup_findings_close_times); otherwise day by day
-- (rollup_findings_facts), as kpis/median_days_to_close.sql.
SELECT CAST(date_trunc($grain, raised_month) AS DATE) AS period,
       CAST(coalesce(days_to_close, $as_of - open_since) AS DOUBLE) AS days,
       CAST(coalesce(sum(findings) FILTER (WHERE days_to_close IS NOT NULL), 0) AS BIGINT) AS closed,
       CAST(coalesce(sum(findings) FILTER (WHERE days_to_close IS NULL), 0) AS BIGINT) AS still_open
FROM findings_close_times
WHERE coalesce(CAST($last_closed AS DATE) <= $as_of, true) AND (open_since IS NULL OR open_since <= $as_of)
GROUP BY ALL
HAVING sum(findings) > 0
UNION ALL
SELECT CAST(date_trunc($grain, raised_on) AS DATE) AS period,
       CAST(least(coalesce(closed_on, $as_of), $as_of) - raised_on AS DOUBLE) AS days,
       CAST(coalesce(sum(findings) FILTER (WHERE closed_on <= $as_of), 0) AS BIGINT) AS closed,
       CAST(coalesce(sum(findings) FILTER (WHERE closed_on IS NULL OR closed_on > $as_of), 0) AS BIGINT) AS still_open
FROM findings_facts
WHERE NOT coalesce(CAST($last_closed AS DATE) <= $as_of, true)
  AND severity <> 'ofi' AND raised_on <= $as_of AND (closed_on IS NOT NULL OR open_status)
GROUP BY ALL
HAVING sum(findings) > 0
ORDER BY period, days
