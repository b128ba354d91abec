-- Every employee's span of dated records per (site, department) cell, and whether the employee is simple (one cell):
-- read for employees in several cells, whose counts depend on which cells a filter takes.
SELECT _side, employee_id, site, department, first_seen, last_seen, simple, 1 AS employees
FROM employee_cells
