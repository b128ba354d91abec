-- The training matrix's other assignments, record by record: those of employees with records in several cells, and
-- assignments whose records name different standards. The matrix query reads them as training_matrix.sql reads
-- f_training, with their employees' spans from rollup_training_employees.
SELECT _side, employee_id, course, department, category, site, standard, status, due_date, completed_on, expires_on,
       count(*) AS records
FROM assignment_records
WHERE NOT simple_assignment
GROUP BY ALL
