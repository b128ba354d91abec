-- Findings still open past their due date at the end of the period, per 100 staff on record. The counts by day of
-- rollup_findings_open_days, added up to each period's end.
WITH by_day AS (
    SELECT "day", sum(overdue_1 + overdue_2 + overdue_3 + overdue_4 + overdue_5) AS overdue_delta
    FROM findings_open_days GROUP BY "day"
),
running AS (
    SELECT "day", sum(overdue_delta) OVER (ORDER BY "day") AS overdue FROM by_day
),
open_actions AS (
    SELECT s.period, r.overdue FROM spine s ASOF JOIN running r ON r."day" <= s.period_last
)
SELECT s.period, 100.0 * coalesce(o.overdue, 0) / st.staff AS value, st.staff AS n
FROM spine s
JOIN known_staff st USING (period)  -- staff on record, counted once per call by isokpi.kpis (staff.sql)
LEFT JOIN open_actions o USING (period)
WHERE st.staff > 0
  AND s.period >= (
      SELECT CAST(date_trunc($grain, min("month")) AS DATE)
      FROM (SELECT "month" FROM findings_months WHERE kind = 'raised' GROUP BY ALL HAVING sum(findings) > 0)
  )
ORDER BY s.period
