-- CTEs shared by the training roll-ups. input_rows: training rows, each with _side (1: the data with the change,
-- 0: without it; a rebuild has side 1 only). A roll-up partitioned by employee gets every row of each employee a
-- change touched, on both sides.
employee_cells AS (
    -- Each employee's records per (site, department) cell: the span of their dates (the staff rule of common.sql),
    -- and whether all the employee's records lie in that one cell (simple): then every site and department filter
    -- takes all of them or none, and their counts can be added up without knowing who they are.
    SELECT _side, employee_id, site, department,
           min(least(due_date, completed_on)) AS first_seen, max(greatest(due_date, completed_on)) AS last_seen,
           count(*) OVER (PARTITION BY _side, employee_id) = 1 AS simple
    FROM input_rows
    GROUP BY _side, employee_id, site, department
),
employee_flags AS (
    SELECT DISTINCT _side, employee_id, simple FROM employee_cells
),
on_record AS (
    -- Simple employees with a dated record are on record from first_seen up to the day before `until`, the first day
    -- whose 12 months back reach past last_seen (staff on day D: first_seen <= D AND last_seen > D - 12 months).
    SELECT _side, employee_id, site, department, first_seen,
           CASE WHEN CAST(CAST(last_seen + INTERVAL 12 MONTH AS DATE) - INTERVAL 12 MONTH AS DATE) < last_seen
                THEN CAST(last_seen + INTERVAL 12 MONTH AS DATE) + 1
                ELSE CAST(last_seen + INTERVAL 12 MONTH AS DATE) END AS until
    FROM employee_cells
    WHERE simple AND first_seen IS NOT NULL
),
assignment_records AS (
    -- Records the training matrix counts (not cancelled), with whether their assignment (employee, course, department,
    -- category) is simple: a simple employee's, all naming one standard (or none), so a standard filter takes all of
    -- the assignment or none of it.
    SELECT r.*, coalesce(r.category, 'Uncategorised') AS matrix_category,
           f.simple
           AND min(r.standard) OVER assignment IS NOT DISTINCT FROM max(r.standard) OVER assignment
           AND count(r.standard) OVER assignment IN (0, count(*) OVER assignment) AS simple_assignment
    FROM input_rows r
    JOIN employee_flags f USING (_side, employee_id)
    WHERE r.status <> 'cancelled'
    WINDOW assignment AS (PARTITION BY r._side, r.employee_id, r.course, r.department, coalesce(r.category, 'Uncategorised'))
)
