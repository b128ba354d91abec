-- Training completed (or nonconformities closed) in the period, as $source names ('training' or 'findings'): the
-- share of the evaluated ones judged effective. eligible counts every completion or closure, evaluated yet or not,
-- so that isokpi.kpis can tell a period whose evaluations are still arriving.
SELECT date_trunc($grain, day)::DATE AS period,
       100.0 * CAST(sum(effective) AS BIGINT) / nullif(CAST(sum(evaluated) AS BIGINT), 0) AS value,
       CAST(sum(evaluated) AS BIGINT) AS n,
       CAST(sum(eligible) AS BIGINT) AS eligible
FROM (
    -- Training comes counted per day of completion (isokpi/sql/rollups/training_completions.sql).
    SELECT completed_on AS day, completed AS eligible, evaluated, effective FROM f_training_completions
    WHERE $source = 'training'
    UNION ALL
    SELECT closed_on, 1,
           CASE WHEN effectiveness IN ('effective', 'partially_effective', 'not_effective') THEN 1 ELSE 0 END,
           CASE WHEN effectiveness = 'effective' THEN 1 ELSE 0 END
    FROM f_findings
    WHERE $source = 'findings' AND severity IN ('major_nc', 'minor_nc') AND closed_on IS NOT NULL
)
GROUP BY ALL
ORDER BY period
