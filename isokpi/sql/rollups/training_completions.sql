-- Completed training per site, department, standard and day of completion: its hours, how many records, and how
-- many of them have an effectiveness evaluation and how many were judged effective. Sums and counts: they add up
-- over whatever days, sites, departments and standards a filter selects (common.sql's f_training_completions).
-- Hours are summed as decimals (to the millionth of an hour) so that a change added and taken away again leaves the
-- sum exactly as it was.
SELECT site, department, standard, completed_on,
       sum(CAST(hours AS DECIMAL(38, 6))) AS hours, count(*) AS completed,
       count(*) FILTER (WHERE effectiveness IN ('effective', 'partially_effective', 'not_effective')) AS evaluated,
       count(*) FILTER (WHERE effectiveness = 'effective') AS effective
FROM input_rows
WHERE status = 'completed' AND completed_on IS NOT NULL
GROUP BY ALL
