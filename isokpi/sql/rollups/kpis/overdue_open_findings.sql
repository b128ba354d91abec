-- Findings still open at the end of the period whose due date has passed (improvement suggestions excluded); n is all
-- findings open then. The counts by day of rollup_findings_open_days, added up to each period's end.
WITH by_day AS (
    SELECT "day", sum(open_1 + open_2 + open_3 + open_4 + open_5) AS opened,
           sum(overdue_1 + overdue_2 + overdue_3 + overdue_4 + overdue_5) AS overdue_delta
    FROM findings_open_days GROUP BY "day"
),
running AS (
    SELECT "day", sum(opened) OVER days AS open_findings, sum(overdue_delta) OVER days AS overdue
    FROM by_day WINDOW days AS (ORDER BY "day")
),
open_actions AS (
    SELECT s.period, r.open_findings, r.overdue FROM spine s ASOF JOIN running r ON r."day" <= s.period_last
)
SELECT s.period, CAST(coalesce(o.overdue, 0) AS DOUBLE) AS value, CAST(coalesce(o.open_findings, 0) AS BIGINT) AS n
FROM spine s
LEFT JOIN open_actions o USING (period)
WHERE s.period >= (
    SELECT CAST(date_trunc($grain, min("month")) AS DATE)
    FROM (SELECT "month" FROM findings_months WHERE kind = 'raised' GROUP BY ALL HAVING sum(findings) > 0)
)
ORDER BY s.period
