-- Findings that need an action (the actions CTE: not improvement suggestions) open on $day: raised by then and
-- not closed by then, as in the overdue_open_findings KPI. Per age bucket (days since raised: 0-30, 31-60,
-- 61-90, 91-180, over 180): how many, how many past their due date, how many due from $day to its month's end.
WITH open_findings AS (
    SELECT CAST($day - raised_on AS INTEGER) AS age, due_on
    FROM actions
    WHERE raised_on <= $day AND (closed_on IS NULL OR closed_on > $day)
      AND (closed_on IS NOT NULL OR status IN ('open', 'in_progress'))
)
SELECT CASE WHEN age <= 30 THEN 1 WHEN age <= 60 THEN 2 WHEN age <= 90 THEN 3 WHEN age <= 180 THEN 4 ELSE 5 END AS bucket,
       count(*) AS open,
       count(*) FILTER (WHERE due_on < $day) AS overdue,
       count(*) FILTER (WHERE due_on >= $day AND due_on <= last_day($day)) AS due_this_month
FROM open_findings
GROUP BY ALL
ORDER BY bucket
