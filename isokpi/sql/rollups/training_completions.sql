-- Training records with a completion date, per site, department, standard and day completed: all of them (dated), the
-- completed ones with their hours, and how many of those were evaluated and judged effective.
SELECT _side, site, department, standard, completed_on,
       count(*) AS dated,
       count(*) FILTER (WHERE status = 'completed') AS completed,
       coalesce(sum("hours") FILTER (WHERE status = 'completed'), 0) AS "hours",
       count(*) FILTER (
           WHERE status = 'completed' AND effectiveness IN ('effective', 'partially_effective', 'not_effective')
       ) AS evaluated,
       count(*) FILTER (WHERE status = 'completed' AND effectiveness = 'effective') AS effective
FROM input_rows
WHERE completed_on IS NOT NULL
GROUP BY ALL
