-- Findings still open at the end of the period whose due date has passed (improvement suggestions excluded).
WITH overdue AS (
    SELECT s.period, count(a.finding_id) AS overdue
    FROM spine s
    JOIN actions a ON a.raised_on <= s.period_last AND a.due_on < s.period_last
                  AND (a.closed_on IS NULL OR a.closed_on > s.period_last)
                  AND (a.closed_on IS NOT NULL OR a.status IN ('open', 'in_progress'))
    GROUP BY s.period
),
open_ AS (
    SELECT s.period, count(a.finding_id) AS open_findings
    FROM spine s
    JOIN actions a ON a.raised_on <= s.period_last
                  AND (a.closed_on IS NULL OR a.closed_on > s.period_last)
                  AND (a.closed_on IS NOT NULL OR a.status IN ('open', 'in_progress'))
    GROUP BY s.period
)
SELECT s.period, coalesce(o.overdue, 0)::DOUBLE AS value, coalesce(op.open_findings, 0) AS n
FROM spine s
LEFT JOIN overdue o USING (period)
LEFT JOIN open_ op USING (period)
WHERE s.period >= (SELECT date_trunc($grain, min(raised_on))::DATE FROM f_findings)
ORDER BY s.period
