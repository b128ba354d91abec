-- Findings raised in a review period ($date_from to $day) by audit type: the audits that raised them (audit_key of
-- common.sql) and the findings by severity.
SELECT audit_type,
       count(DISTINCT audit_key) AS audits,
       CAST(sum(findings) AS BIGINT) AS findings,
       CAST(sum(major_nc) AS BIGINT) AS major_nc,
       CAST(sum(minor_nc) AS BIGINT) AS minor_nc,
       CAST(sum(observation) AS BIGINT) AS observation,
       CAST(sum(ofi) AS BIGINT) AS ofi
FROM (
    SELECT audit_key, audit_type, site, department, standard, raised_on, sum(findings) AS findings,
           sum(major_nc) AS major_nc, sum(minor_nc) AS minor_nc, sum(observation) AS observation, sum(ofi) AS ofi
    FROM findings_audits
    WHERE raised_on BETWEEN $date_from AND $day
    GROUP BY ALL
    HAVING sum(findings) > 0
)
GROUP BY audit_type
ORDER BY audit_type
