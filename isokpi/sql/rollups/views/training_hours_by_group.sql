-- The training_hours_per_employee KPI split by $group ('department' or 'site'): hours of training completed in the
-- period by a group's records, divided by the group's staff on record at the period's end. Simple employees are counted
-- by day per cell (rollup_training_staff_days); employees in several cells one by one, in each group they trained in.
WITH simple_days AS (
    SELECT CASE $group WHEN 'site' THEN site ELSE department END AS grp, "day", sum(starts) AS starts, sum(ends) AS ends
    FROM rollup_training_staff_days
    WHERE (len($sites) = 0 OR list_contains($sites, site))
      AND (len($departments) = 0 OR list_contains($departments, department))
    GROUP BY ALL
),
simple_staff AS (
    SELECT s.period, d.grp, sum(d.starts) - sum(d.ends) AS staff
    FROM spine s JOIN simple_days d ON d."day" <= s.period_last
    WHERE d.grp IS NOT NULL
    GROUP BY ALL
),
members AS (
    SELECT CASE $group WHEN 'site' THEN site ELSE department END AS grp, employee_id,
           min(first_seen) AS first_seen, max(last_seen) AS last_seen
    FROM (
        SELECT employee_id, site, department, first_seen, last_seen
        FROM rollup_training_employees
        WHERE NOT simple
          AND (len($sites) = 0 OR list_contains($sites, site))
          AND (len($departments) = 0 OR list_contains($departments, department))
        GROUP BY ALL
        HAVING sum(employees) > 0
    )
    GROUP BY ALL
    HAVING min(first_seen) IS NOT NULL AND grp IS NOT NULL
),
group_staff AS (
    SELECT period, grp, sum(staff) AS staff
    FROM (
        SELECT * FROM simple_staff
        UNION ALL
        SELECT s.period, m.grp, count(*)
        FROM spine s JOIN members m ON m.first_seen <= s.period_last AND m.last_seen > s.period_last - INTERVAL 12 MONTH
        GROUP BY ALL
    )
    GROUP BY ALL
    HAVING sum(staff) > 0
),
group_hours AS (
    SELECT CAST(date_trunc($grain, completed_on) AS DATE) AS period,
           CASE $group WHEN 'site' THEN site ELSE department END AS grp, sum("hours") AS hours
    FROM training_completions
    GROUP BY ALL
    HAVING sum(completed) > 0
)
SELECT g.period, g.grp AS "group", coalesce(h.hours, 0) AS hours, CAST(g.staff AS BIGINT) AS staff,
       coalesce(h.hours, 0) / g.staff AS hours_per_employee
FROM group_staff g
LEFT JOIN group_hours h USING (period, grp)
ORDER BY g.grp, g.period
