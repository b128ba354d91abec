-- Training completed in the period: share of the evaluated completions judged effective; eligible counts every
-- completion, evaluated yet or not.
SELECT CAST(date_trunc($grain, completed_on) AS DATE) AS period,
       100.0 * sum(effective) / nullif(sum(evaluated), 0) AS value,
       CAST(sum(evaluated) AS BIGINT) AS n,
       CAST(sum(completed) AS BIGINT) AS eligible
FROM training_completions
GROUP BY ALL
HAVING sum(completed) > 0
ORDER BY period
