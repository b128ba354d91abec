-- The training_hours_per_employee KPI split by $group ('department' or 'site'): hours of training completed
-- in the period by a group's records, divided by the group's staff on record at the period's end (the staff
-- rule of common.sql, applied per group; someone who moved counts in each group they trained in).
WITH group_staff AS (
    SELECT s.period, m.grp, count(*) AS staff
    FROM spine s
    JOIN members m ON m.first_seen <= s.period_last AND m.last_seen > s.period_last - INTERVAL 12 MONTH
    GROUP BY ALL
),
group_hours AS (
    SELECT date_trunc($grain, completed_on)::DATE AS period,
           CASE $group WHEN 'site' THEN site ELSE department END AS grp, sum(hours) AS hours
    FROM f_training_completions
    GROUP BY ALL
)
SELECT g.period, g.grp AS "group", coalesce(h.hours, 0) AS hours, g.staff,
       coalesce(h.hours, 0) / g.staff AS hours_per_employee
FROM group_staff g
LEFT JOIN group_hours h USING (period, grp)
ORDER BY g.grp, g.period
