-- Completed training per site, department, standard and day of completion: its hours, how many records, and how
-- many of them have an effectiveness evaluation and how many were judged effective. Sums and counts: they add up
-- over whatever days, sites, departments and standards a filter selects (common.sql's f_training_completions).
-- Hours are summed as decimals (to 12 places) so that a change added and taken away again leaves the sum exactly as
-- it was, and a cell whose records have no hours has 0 (which is what every reader makes of none).
SELECT site, department, standard, completed_on,
       coalesce(sum(CAST(hours AS DECIMAL(38, 12))), 0) AS hours, count(*) AS completed,
       count(*) FILTER (WHERE effectiveness IN ('effective', 'partially_effective', 'not_effective')) AS evaluated,
       count(*) FILTER (WHERE effectiveness = 'effective') AS effective
FROM input_rows
WHERE status = 'completed' AND completed_on IS NOT NULL
GROUP BY ALL
