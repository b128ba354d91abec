-- Major and minor nonconformities from external and certification audits, per such audit, in the period.
SELECT date_trunc($grain, raised_on)::DATE AS period,
       count(*) FILTER (WHERE severity IN ('major_nc', 'minor_nc')) * 1.0 / count(DISTINCT audit_key) AS value,
       count(DISTINCT audit_key) AS n
FROM f_findings
WHERE audit_type IN ('external', 'certification')
GROUP BY ALL
ORDER BY period
