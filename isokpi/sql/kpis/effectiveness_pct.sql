-- Training completed (or nonconformities closed) in the period, as $source names ('training' or 'findings'): the
-- share of the evaluated ones judged effective. eligible counts every completion or closure, evaluated yet or not,
-- so that isokpi.kpis can tell a period whose evaluations are still arriving.
SELECT date_trunc($grain, day)::DATE AS period,
       100.0 * count(*) FILTER (WHERE effectiveness = 'effective') / nullif(count(*) FILTER (WHERE evaluated), 0) AS value,
       count(*) FILTER (WHERE evaluated) AS n,
       count(*) AS eligible
FROM (
    SELECT day, effectiveness, coalesce(effectiveness IN ('effective', 'partially_effective', 'not_effective'), false)
           AS evaluated
    FROM (
        SELECT completed_on AS day, effectiveness FROM f_training
        WHERE $source = 'training' AND status = 'completed' AND completed_on IS NOT NULL
        UNION ALL
        SELECT closed_on, effectiveness FROM f_findings
        WHERE $source = 'findings' AND severity IN ('major_nc', 'minor_nc') AND closed_on IS NOT NULL
    )
)
GROUP BY ALL
ORDER BY period
