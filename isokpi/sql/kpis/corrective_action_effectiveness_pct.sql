-- Nonconformities closed in the period: share of those with an effectiveness review judged effective. eligible counts
-- every closure, reviewed yet or not, so that isokpi.kpis can tell a period whose reviews are still arriving.
SELECT date_trunc($grain, closed_on)::DATE AS period,
       100.0 * count(*) FILTER (WHERE effectiveness = 'effective') / nullif(count(*) FILTER (WHERE evaluated), 0) AS value,
       count(*) FILTER (WHERE evaluated) AS n,
       count(*) AS eligible
FROM (
    SELECT *, coalesce(effectiveness IN ('effective', 'partially_effective', 'not_effective'), false) AS evaluated
    FROM f_findings
    WHERE severity IN ('major_nc', 'minor_nc') AND closed_on IS NOT NULL
)
GROUP BY ALL
ORDER BY period
