-- Nonconformities and observations due in the period (and already due): share closed by their due date.
SELECT date_trunc($grain, due_on)::DATE AS period,
       100.0 * count(*) FILTER (WHERE closed_on IS NOT NULL AND closed_on <= due_on) / count(*) AS value,
       count(*) AS n
FROM actions
WHERE due_on IS NOT NULL AND due_on <= $as_of
GROUP BY ALL
ORDER BY period
