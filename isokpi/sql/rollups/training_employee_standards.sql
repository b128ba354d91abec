-- Every employee's completed training per cell and standard (or none): the days completed. Read for the people trained
-- in a review period, and for coverage by several standards at once or of employees in several cells.
SELECT r._side, r.employee_id, r.site, r.department, r.standard, f.simple,
       list_sort(list_distinct(list(r.completed_on))) AS days, 1 AS employees
FROM input_rows r
JOIN employee_flags f USING (_side, employee_id)
WHERE r.status = 'completed' AND r.completed_on IS NOT NULL
GROUP BY r._side, r.employee_id, r.site, r.department, r.standard, f.simple
