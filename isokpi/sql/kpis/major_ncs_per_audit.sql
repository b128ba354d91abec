-- Major nonconformities raised in the period per distinct audit with findings in the period.
SELECT date_trunc($grain, raised_on)::DATE AS period,
       count(*) FILTER (WHERE severity = 'major_nc') * 1.0 / count(DISTINCT audit_key) AS value,
       count(DISTINCT audit_key) AS n
FROM f_findings
GROUP BY ALL
ORDER BY period
