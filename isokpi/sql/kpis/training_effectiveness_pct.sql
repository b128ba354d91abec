-- Training completed in the period: share of the evaluated completions judged effective. eligible counts every
-- completion, evaluated yet or not, so that isokpi.kpis can tell a period whose evaluations are still arriving.
SELECT date_trunc($grain, completed_on)::DATE AS period,
       100.0 * count(*) FILTER (WHERE effectiveness = 'effective') / nullif(count(*) FILTER (WHERE evaluated), 0) AS value,
       count(*) FILTER (WHERE evaluated) AS n,
       count(*) AS eligible
FROM (
    SELECT *, coalesce(effectiveness IN ('effective', 'partially_effective', 'not_effective'), false) AS evaluated
    FROM f_training
    WHERE status = 'completed' AND completed_on IS NOT NULL
)
GROUP BY ALL
ORDER BY period
