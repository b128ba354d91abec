-- Each employee's current training records per site and department: the first and the last day they place the
-- employee there. The staff rule of common.sql (`employees`) and the per-group members of the Training page
-- (views/group_members.sql) take min(first_seen) and max(last_seen) over the cells their filters select, which
-- is exactly what they would take over the records themselves. One row per employee and cell: 124,801 rows for
-- the 5.1M records of the benchmark database.
SELECT employee_id, site, department,
       min(least(due_date, completed_on)) AS first_seen, max(greatest(due_date, completed_on)) AS last_seen
FROM input_rows
GROUP BY ALL
