-- Findings (not cancelled) raised in each reported period, per severity; a period without any has one row with
-- severity NULL and 0 findings.
SELECT s.period, f.severity, count(f.finding_id) AS findings
FROM spine s
LEFT JOIN f_findings f ON f.raised_on BETWEEN s.period AND s.period_last
GROUP BY ALL
ORDER BY s.period, f.severity
