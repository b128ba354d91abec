-- The training matrix on $day, per department and course category. Each current employee's assignments of
-- one course reduce to one state, the best that applies:
--   1 valid     completed by $day and not expiring within 60 days (or never expiring)
--   2 expiring  completed, expires_on within the 60 days from $day
--   3 expired   completed, but expires_on is before $day
--   4 overdue   not completed by $day and its due date has passed (without a due date: its status says overdue)
--   5 planned   not completed by $day, not yet due
-- The status column is as of the export, so the due date decides when there is one: on an earlier $day an
-- assignment now marked overdue was still planned. Current employees follow the staff rule of common.sql;
-- cancelled assignments do not count.
WITH current_staff AS (
    SELECT employee_id
    FROM employees
    WHERE first_seen <= $day AND last_seen > $day - INTERVAL 12 MONTH
),
states AS (
    SELECT t.employee_id, t.course, t.department, coalesce(t.category, 'Uncategorised') AS category,
           min(CASE
                   WHEN t.status = 'completed' AND coalesce(t.completed_on, $day) <= $day THEN
                       CASE WHEN t.expires_on IS NULL OR t.expires_on > $day + 60 THEN 1
                            WHEN t.expires_on >= $day THEN 2
                            ELSE 3 END
                   WHEN t.due_date < $day OR (t.due_date IS NULL AND t.status = 'overdue') THEN 4
                   ELSE 5
               END) AS state
    FROM f_training t
    JOIN current_staff USING (employee_id)
    WHERE t.status <> 'cancelled'
    GROUP BY ALL
)
SELECT department, category,
       count(*) FILTER (WHERE state = 1) AS valid,
       count(*) FILTER (WHERE state = 2) AS expiring,
       count(*) FILTER (WHERE state = 3) AS expired,
       count(*) FILTER (WHERE state = 4) AS overdue,
       count(*) FILTER (WHERE state = 5) AS planned,
       count(*) AS assignments
FROM states
GROUP BY ALL
ORDER BY department, category
