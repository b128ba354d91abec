-- Training completed in the period with an effectiveness evaluation: share judged effective.
SELECT date_trunc($grain, completed_on)::DATE AS period,
       100.0 * count(*) FILTER (WHERE effectiveness = 'effective') / count(*) AS value,
       count(*) AS n
FROM f_training
WHERE status = 'completed' AND completed_on IS NOT NULL
  AND effectiveness IN ('effective', 'partially_effective', 'not_effective')
GROUP BY ALL
ORDER BY period
