-- A CTE fragment: each employee of a $group ('department' or 'site') with the first and last day the training
-- records place them there, for the staff rule of common.sql applied per group (someone who moved is a member of
-- each group they trained in). The site and department filters apply; the date range does not, as for staff.
members AS (
    SELECT CASE $group WHEN 'site' THEN site ELSE department END AS grp, employee_id,
           min(first_seen) AS first_seen, max(last_seen) AS last_seen
    FROM rollup_training_employees  -- each employee's records per site and department (isokpi/sql/rollups/)
    WHERE (len($sites) = 0 OR list_contains($sites, site))
      AND (len($departments) = 0 OR list_contains($departments, department))
    GROUP BY ALL
    HAVING first_seen IS NOT NULL AND grp IS NOT NULL
)
