-- The training matrix on $day, per department and course category: each employee's course (at one site and
-- standard) counted once, in the best state that applies to its assignments, while the employee is on record in its
-- site and department (the staff rule of common.sql, per site and department):
--   valid     completed by $day and not expiring within 60 days (or never expiring)
--   expiring  completed, expires_on within the 60 days from $day
--   expired   completed, but expires_on is before $day
--   overdue   not completed by $day and its due date has passed (without a due date: its status says overdue)
--   planned   not completed by $day, not yet due
-- The status column is as of the export, so the due date decides when there is one: on an earlier $day an
-- assignment now marked overdue was still planned. Cancelled assignments do not count. Read from the roll-up of the
-- states' changes (isokpi/sql/rollups/training_matrix.sql): how many are at each level on $day, where a level holds
-- the states before it, so each state is the difference of two levels.
WITH levels AS (
    SELECT department, category,
           coalesce(sum(change) FILTER (WHERE level = 1), 0) AS l1,
           coalesce(sum(change) FILTER (WHERE level = 2), 0) AS l2,
           coalesce(sum(change) FILTER (WHERE level = 3), 0) AS l3,
           coalesce(sum(change) FILTER (WHERE level = 4), 0) AS l4,
           coalesce(sum(change) FILTER (WHERE level = 5), 0) AS l5
    FROM rollup_training_matrix
    WHERE day <= $day
      AND (len($sites) = 0 OR list_contains($sites, site))
      AND (len($departments) = 0 OR list_contains($departments, department))
      AND (len($standards) = 0 OR list_contains($standards, standard))
    GROUP BY ALL
)
SELECT department, category, CAST(l1 AS BIGINT) AS valid, CAST(l2 - l1 AS BIGINT) AS expiring,
       CAST(l3 - l2 AS BIGINT) AS expired, CAST(l4 - l3 AS BIGINT) AS overdue, CAST(l5 - l4 AS BIGINT) AS planned,
       CAST(l5 AS BIGINT) AS assignments
FROM levels
WHERE l5 > 0
ORDER BY department, category
