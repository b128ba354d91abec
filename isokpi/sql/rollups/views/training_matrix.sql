-- The training matrix on $day, per department and course category (training_matrix.sql). Simple assignments come
-- counted by day and state (rollup_training_matrix_days: the counts up to $day); the others, record by record from
-- rollup_training_matrix_records with their employees on record on $day, reduced to one state as training_matrix.sql does.
WITH simple_states AS (
    SELECT department, category, state, sum(delta) AS assignments
    FROM rollup_training_matrix_days
    WHERE "day" <= $day
      AND (len($sites) = 0 OR list_contains($sites, site))
      AND (len($departments) = 0 OR list_contains($departments, department))
      AND (len($standards) = 0 OR list_contains($standards, standard))
    GROUP BY ALL
),
records AS (
    SELECT employee_id, course, department, category, site, standard, status, due_date, completed_on, expires_on
    FROM rollup_training_matrix_records
    WHERE (len($sites) = 0 OR list_contains($sites, site))
      AND (len($departments) = 0 OR list_contains($departments, department))
      AND (len($standards) = 0 OR list_contains($standards, standard))
    GROUP BY ALL
    HAVING sum(records) > 0
),
current_staff AS (
    SELECT employee_id
    FROM (
        SELECT employee_id, site, department, first_seen, last_seen
        FROM rollup_training_employees
        WHERE employee_id IN (SELECT employee_id FROM records)
          AND (len($sites) = 0 OR list_contains($sites, site))
          AND (len($departments) = 0 OR list_contains($departments, department))
        GROUP BY ALL
        HAVING sum(employees) > 0
    )
    GROUP BY employee_id
    HAVING min(first_seen) <= $day AND max(last_seen) > $day - INTERVAL 12 MONTH
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
    FROM records t
    JOIN current_staff USING (employee_id)
    GROUP BY ALL
),
counted AS (
    SELECT department, category, state, sum(assignments) AS assignments
    FROM (
        SELECT * FROM simple_states
        UNION ALL
        SELECT department, category, state, count(*) FROM states GROUP BY ALL
    )
    GROUP BY ALL
)
SELECT department, category,
       CAST(coalesce(sum(assignments) FILTER (WHERE state = 1), 0) AS BIGINT) AS valid,
       CAST(coalesce(sum(assignments) FILTER (WHERE state = 2), 0) AS BIGINT) AS expiring,
       CAST(coalesce(sum(assignments) FILTER (WHERE state = 3), 0) AS BIGINT) AS expired,
       CAST(coalesce(sum(assignments) FILTER (WHERE state = 4), 0) AS BIGINT) AS overdue,
       CAST(coalesce(sum(assignments) FILTER (WHERE state = 5), 0) AS BIGINT) AS planned,
       CAST(sum(assignments) AS BIGINT) AS assignments
FROM counted
GROUP BY ALL
HAVING sum(assignments) > 0
ORDER BY department, category
