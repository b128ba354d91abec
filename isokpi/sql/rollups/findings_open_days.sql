-- Findings that need an action, open by day (the snapshot of common.sql's open_actions and findings_open.sql): per cell,
-- +1 on the day a finding enters a count and -1 on the day it leaves it, for each age bucket (days since raised: 0-30,
-- 31-60, 61-90, 91-180, over 180): open, overdue (past its due date) and due from that day to its month's end. The
-- counts on day D: the deltas up to D.
WITH open_spans AS (
    SELECT _side, site, department, standard, raised_on, due_on,
           CASE WHEN closed_on IS NOT NULL THEN closed_on
                WHEN status IN ('open', 'in_progress') THEN DATE '9999-12-31' END AS open_until
    FROM actions
),
aged AS (
    SELECT o._side, o.site, o.department, o.standard, o.due_on, b.bucket,
           o.raised_on + b.low AS start, least(o.raised_on + b.high, o.open_until) AS stop
    FROM open_spans o
    CROSS JOIN (VALUES (1, 0, 31), (2, 31, 61), (3, 61, 91), (4, 91, 181), (5, 181, 3000000)) b(bucket, low, high)
    WHERE o.open_until IS NOT NULL
),
spans AS (
    SELECT _side, site, department, standard, bucket, 'open' AS measure, start, stop FROM aged
    UNION ALL
    SELECT _side, site, department, standard, bucket, 'overdue', greatest(start, due_on + 1), stop
    FROM aged WHERE due_on IS NOT NULL
    UNION ALL
    SELECT _side, site, department, standard, bucket, 'due', greatest(start, CAST(date_trunc('month', due_on) AS DATE)),
           least(stop, due_on + 1)
    FROM aged WHERE due_on IS NOT NULL
),
events AS (
    SELECT _side, site, department, standard, start AS "day", bucket, measure, 1 AS delta FROM spans WHERE start < stop
    UNION ALL
    SELECT _side, site, department, standard, stop, bucket, measure, -1
    FROM spans WHERE start < stop AND stop < DATE '9999-12-31'
)
SELECT _side, site, department, standard, "day",
       coalesce(sum(delta) FILTER (WHERE measure = 'open' AND bucket = 1), 0) AS open_1,
       coalesce(sum(delta) FILTER (WHERE measure = 'open' AND bucket = 2), 0) AS open_2,
       coalesce(sum(delta) FILTER (WHERE measure = 'open' AND bucket = 3), 0) AS open_3,
       coalesce(sum(delta) FILTER (WHERE measure = 'open' AND bucket = 4), 0) AS open_4,
       coalesce(sum(delta) FILTER (WHERE measure = 'open' AND bucket = 5), 0) AS open_5,
       coalesce(sum(delta) FILTER (WHERE measure = 'overdue' AND bucket = 1), 0) AS overdue_1,
       coalesce(sum(delta) FILTER (WHERE measure = 'overdue' AND bucket = 2), 0) AS overdue_2,
       coalesce(sum(delta) FILTER (WHERE measure = 'overdue' AND bucket = 3), 0) AS overdue_3,
       coalesce(sum(delta) FILTER (WHERE measure = 'overdue' AND bucket = 4), 0) AS overdue_4,
       coalesce(sum(delta) FILTER (WHERE measure = 'overdue' AND bucket = 5), 0) AS overdue_5,
       coalesce(sum(delta) FILTER (WHERE measure = 'due' AND bucket = 1), 0) AS due_1,
       coalesce(sum(delta) FILTER (WHERE measure = 'due' AND bucket = 2), 0) AS due_2,
       coalesce(sum(delta) FILTER (WHERE measure = 'due' AND bucket = 3), 0) AS due_3,
       coalesce(sum(delta) FILTER (WHERE measure = 'due' AND bucket = 4), 0) AS due_4,
       coalesce(sum(delta) FILTER (WHERE measure = 'due' AND bucket = 5), 0) AS due_5
FROM events
GROUP BY ALL
