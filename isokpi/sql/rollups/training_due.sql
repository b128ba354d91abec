-- Mandatory, not cancelled training records with a due date, per site, department, standard and month due: how many,
-- and how many were completed by their due date.
SELECT _side, site, department, standard, CAST(date_trunc('month', due_date) AS DATE) AS due_month,
       count(*) AS due,
       count(*) FILTER (WHERE completed_on IS NOT NULL AND completed_on <= due_date) AS on_time
FROM input_rows
WHERE is_mandatory AND status <> 'cancelled' AND due_date IS NOT NULL
GROUP BY ALL
