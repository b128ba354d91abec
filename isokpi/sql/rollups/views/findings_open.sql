-- Findings that need an action open on $day, per age bucket (days since raised: 0-30, 31-60, 61-90, 91-180, over 180):
-- how many, how many past their due date, how many due from $day to its month's end. The counts by day of
-- rollup_findings_open_days, added up to $day.
WITH totals AS (
    SELECT sum(open_1) AS open_1, sum(open_2) AS open_2, sum(open_3) AS open_3, sum(open_4) AS open_4,
           sum(open_5) AS open_5, sum(overdue_1) AS overdue_1, sum(overdue_2) AS overdue_2, sum(overdue_3) AS overdue_3,
           sum(overdue_4) AS overdue_4, sum(overdue_5) AS overdue_5, sum(due_1) AS due_1, sum(due_2) AS due_2,
           sum(due_3) AS due_3, sum(due_4) AS due_4, sum(due_5) AS due_5
    FROM findings_open_days
    WHERE "day" <= $day
),
buckets AS (
    SELECT 1 AS bucket, open_1 AS open, overdue_1 AS overdue, due_1 AS due_this_month FROM totals
    UNION ALL SELECT 2, open_2, overdue_2, due_2 FROM totals
    UNION ALL SELECT 3, open_3, overdue_3, due_3 FROM totals
    UNION ALL SELECT 4, open_4, overdue_4, due_4 FROM totals
    UNION ALL SELECT 5, open_5, overdue_5, due_5 FROM totals
)
SELECT bucket, CAST(open AS BIGINT) AS open, CAST(overdue AS BIGINT) AS overdue,
       CAST(due_this_month AS BIGINT) AS due_this_month
FROM buckets
WHERE open > 0
ORDER BY bucket
