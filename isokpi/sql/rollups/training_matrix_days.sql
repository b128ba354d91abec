-- The training matrix (training_matrix.sql) for simple assignments of simple employees, as a count by day: each
-- assignment's state changes on known days (a completion, 60 days before and the day after an expiry, the day after a due
-- date), and it counts only while its employee is on record. Per site, department, standard, category and state: +1
-- (delta) on the day assignments enter the state, -1 on the day they leave it. The matrix on day D: the deltas up to D.
WITH assignments AS (
    SELECT a._side, a.employee_id, a.course, a.department, a.matrix_category AS category,
           min(a.site) AS site, min(a.standard) AS standard,
           CASE WHEN bool_or(a.due_date IS NULL AND a.status = 'overdue') THEN DATE '0001-01-01'
                ELSE coalesce(min(a.due_date) + 1, DATE '9999-12-31') END AS overdue_from,
           min(o.first_seen) AS first_seen, min(o.until) AS until
    FROM assignment_records a
    JOIN on_record o USING (_side, employee_id)
    WHERE a.simple_assignment
    GROUP BY a._side, a.employee_id, a.course, a.department, a.matrix_category
),
steps AS (
    -- Each day the assignment was completed (a completion without a date counts from the start), the latest expiry
    -- reached by then (none: never lapses) and the next completion day.
    SELECT *,
           max(expires) OVER (assignment ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS best_expiry,
           lead(completed, 1, DATE '9999-12-31') OVER assignment AS next_completed
    FROM (
        SELECT _side, employee_id, course, department, matrix_category AS category,
               coalesce(completed_on, DATE '0001-01-01') AS completed,
               max(coalesce(expires_on, DATE '9999-12-31')) AS expires
        FROM assignment_records
        WHERE simple_assignment AND status = 'completed'
        GROUP BY ALL
    )
    WINDOW assignment AS (PARTITION BY _side, employee_id, course, department, category ORDER BY completed)
),
firsts AS (
    SELECT _side, employee_id, course, department, category, min(completed) AS first_completed
    FROM steps GROUP BY ALL
),
before_completion AS (
    SELECT a.*, coalesce(f.first_completed, DATE '9999-12-31') AS first_completed
    FROM assignments a
    LEFT JOIN firsts f USING (_side, employee_id, course, department, category)
),
pieces AS (
    -- state, first day, day after the last: 5 planned until overdue_from, 4 overdue until the first completion, then
    -- per completion step 1 valid, 2 expiring within 60 days, 3 expired.
    SELECT _side, site, department, standard, category, first_seen, until,
           5 AS state, DATE '0001-01-01' AS start, least(overdue_from, first_completed) AS stop
    FROM before_completion
    UNION ALL
    SELECT _side, site, department, standard, category, first_seen, until,
           4, least(overdue_from, first_completed), first_completed
    FROM before_completion
    UNION ALL
    SELECT a._side, a.site, a.department, a.standard, a.category, a.first_seen, a.until, p.state, p.start, p.stop
    FROM assignments a
    JOIN steps s USING (_side, employee_id, course, department, category)
    CROSS JOIN LATERAL (
        VALUES (1, s.completed, least(s.next_completed, s.best_expiry - 60)),
               (2, greatest(s.completed, s.best_expiry - 60), least(s.next_completed, s.best_expiry + 1)),
               (3, greatest(s.completed, s.best_expiry + 1), s.next_completed)
    ) p(state, start, stop)
),
on_record_pieces AS (
    SELECT _side, site, department, standard, category, state,
           greatest(start, first_seen) AS start, least(stop, until) AS stop
    FROM pieces
)
SELECT _side, site, department, standard, category, state, "day", sum(delta) AS delta
FROM (
    SELECT _side, site, department, standard, category, state, start AS "day", 1 AS delta
    FROM on_record_pieces WHERE start < stop
    UNION ALL
    SELECT _side, site, department, standard, category, state, stop, -1
    FROM on_record_pieces WHERE start < stop
)
GROUP BY ALL
