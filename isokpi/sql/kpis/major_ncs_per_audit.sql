-- Major nonconformities raised in the period per distinct audit with findings in the period.
SELECT date_trunc($grain, raised_on)::DATE AS period,
       count(*) FILTER (WHERE severity = 'major_nc') * 1.0
           / count(DISTINCT coalesce(audit_id, audit_type || '|' || coalesce(site, '') || '|' || raised_on)) AS value,
       count(DISTINCT coalesce(audit_id, audit_type || '|' || coalesce(site, '') || '|' || raised_on)) AS n
FROM f_findings
GROUP BY ALL
ORDER BY period
