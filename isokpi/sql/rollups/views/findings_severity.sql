-- Findings (not cancelled) raised in each reported period, per severity; a period without any has one row with
-- severity NULL and 0 findings.
WITH counted AS (
    SELECT CAST(date_trunc($grain, "month") AS DATE) AS period, severity, sum(findings) AS findings
    FROM findings_months
    WHERE kind = 'raised'
    GROUP BY ALL
    HAVING sum(findings) > 0
)
SELECT s.period, c.severity, CAST(coalesce(c.findings, 0) AS BIGINT) AS findings
FROM spine s
LEFT JOIN counted c USING (period)
ORDER BY s.period, c.severity
