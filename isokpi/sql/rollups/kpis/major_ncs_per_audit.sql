-- Major nonconformities raised in the period per distinct audit with findings in the period. Without a filter the
-- audits come counted per period (rollup_findings_audit_periods); with one, audit by audit.
WITH audits AS (
    SELECT period, sum(audits) AS audits
    FROM rollup_findings_audit_periods
    WHERE len($sites) = 0 AND len($departments) = 0 AND len($standards) = 0 AND grain = $grain AND audits_of = 'all'
    GROUP BY period
    HAVING sum(audits) > 0
    UNION ALL
    SELECT CAST(date_trunc($grain, raised_on) AS DATE) AS period, count(DISTINCT audit_key)
    FROM (
        SELECT audit_key, raised_on FROM findings_audits
        WHERE len($sites) > 0 OR len($departments) > 0 OR len($standards) > 0
        GROUP BY ALL HAVING sum(findings) > 0
    )
    GROUP BY ALL
),
majors AS (
    SELECT CAST(date_trunc($grain, "month") AS DATE) AS period,
           coalesce(sum(findings) FILTER (WHERE severity = 'major_nc'), 0) AS majors
    FROM findings_months WHERE kind = 'raised'
    GROUP BY ALL
)
SELECT period, m.majors * 1.0 / a.audits AS value, CAST(a.audits AS BIGINT) AS n
FROM audits a JOIN majors m USING (period)
ORDER BY period
