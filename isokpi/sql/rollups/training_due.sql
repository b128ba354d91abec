-- Mandatory, not cancelled training per site, department, standard and due date: how much fell due and how much of
-- it was completed by its due date. Counts: they add up over whatever due dates and cells a filter selects
-- (common.sql's f_training_due).
SELECT site, department, standard, due_date,
       count(*) AS due, count(*) FILTER (WHERE completed_on IS NOT NULL AND completed_on <= due_date) AS on_time
FROM input_rows
WHERE is_mandatory AND status <> 'cancelled' AND due_date IS NOT NULL
GROUP BY ALL
