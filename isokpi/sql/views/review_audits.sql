-- Findings raised in a review period ($date_from to $day) by audit type: the audits that raised them (audit_key of
-- common.sql) and the findings by severity.
SELECT audit_type,
       count(DISTINCT audit_key) AS audits,
       count(*) AS findings,
       count(*) FILTER (WHERE severity = 'major_nc') AS major_nc,
       count(*) FILTER (WHERE severity = 'minor_nc') AS minor_nc,
       count(*) FILTER (WHERE severity = 'observation') AS observation,
       count(*) FILTER (WHERE severity = 'ofi') AS ofi
FROM f_findings
WHERE raised_on BETWEEN $date_from AND $day
GROUP BY audit_type
ORDER BY audit_type
