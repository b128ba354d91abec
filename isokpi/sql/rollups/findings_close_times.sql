-- Findings that need an action and can be timed (closed, or still open or in progress), per cell and month raised: the
-- closed ones by whole days to close, the open ones by the day raised (their time open depends on the day asked). The
-- Kaplan-Meier input of median_days_to_close and the time-to-close chart when no finding closes after the day asked.
SELECT _side, site, department, standard, CAST(date_trunc('month', raised_on) AS DATE) AS raised_month,
       CASE WHEN closed_on IS NOT NULL THEN CAST(closed_on - raised_on AS INTEGER) END AS days_to_close,
       CASE WHEN closed_on IS NULL THEN raised_on END AS open_since,
       count(*) AS findings
FROM actions
WHERE closed_on IS NOT NULL OR status IN ('open', 'in_progress')
GROUP BY ALL
