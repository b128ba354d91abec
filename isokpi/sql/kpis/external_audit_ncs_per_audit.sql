-- Major and minor nonconformities from external and certification audits, per such audit, in the period.
SELECT date_trunc($grain, raised_on)::DATE AS period,
       count(*) FILTER (WHERE severity IN ('major_nc', 'minor_nc')) * 1.0
           / count(DISTINCT coalesce(audit_id, audit_type || '|' || coalesce(site, '') || '|' || raised_on)) AS value,
       count(DISTINCT coalesce(audit_id, audit_type || '|' || coalesce(site, '') || '|' || raised_on)) AS n
FROM f_findings
WHERE audit_type IN ('external', 'certification')
GROUP BY ALL
ORDER BY period
