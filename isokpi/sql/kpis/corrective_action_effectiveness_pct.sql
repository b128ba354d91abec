-- Nonconformities closed in the period whose effectiveness was reviewed: share judged effective.
SELECT date_trunc($grain, closed_on)::DATE AS period,
       100.0 * count(*) FILTER (WHERE effectiveness = 'effective') / count(*) AS value,
       count(*) AS n
FROM f_findings
WHERE severity IN ('major_nc', 'minor_nc') AND closed_on IS NOT NULL
  AND effectiveness IN ('effective', 'partially_effective', 'not_effective')
GROUP BY ALL
ORDER BY period
