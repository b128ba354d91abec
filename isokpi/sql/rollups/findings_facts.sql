-- Findings (not cancelled) per cell and severity with their raised, due and closed days, whether they are open or in
-- progress, and whether they name the finding they repeat: the day-exact counts of the review's inputs, and time to
-- close when findings close after the day asked.
SELECT _side, site, department, standard, severity, raised_on, due_on, closed_on,
       status IN ('open', 'in_progress') AS open_status, repeat_of IS NOT NULL AS repeat_marked,
       count(*) AS findings
FROM kept
GROUP BY ALL
