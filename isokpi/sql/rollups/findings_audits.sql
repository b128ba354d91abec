-- Findings (not cancelled) per audit (common.sql's audit_key), audit type, cell and day raised, by severity: the audits
-- that raised findings in a period, under any filter.
SELECT _side, audit_key, audit_type, site, department, standard, raised_on,
       count(*) AS findings,
       count(*) FILTER (WHERE severity = 'major_nc') AS major_nc,
       count(*) FILTER (WHERE severity = 'minor_nc') AS minor_nc,
       count(*) FILTER (WHERE severity = 'observation') AS observation,
       count(*) FILTER (WHERE severity = 'ofi') AS ofi
FROM kept
GROUP BY ALL
