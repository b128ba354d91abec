-- Audits that raised findings (not cancelled), each counted once per month, quarter and year: all audits, and the
-- external and certification audits among the findings of those types. The per-audit denominators without a filter.
SELECT _side, grain, period, audits_of, count(DISTINCT audit_key) AS audits
FROM (
    SELECT k._side, k.audit_key, g.grain, 'all' AS audits_of,
           CAST(CASE g.grain WHEN 'month' THEN date_trunc('month', k.raised_on)
                             WHEN 'quarter' THEN date_trunc('quarter', k.raised_on)
                             ELSE date_trunc('year', k.raised_on) END AS DATE) AS period
    FROM kept k CROSS JOIN (VALUES ('month'), ('quarter'), ('year')) g(grain)
    UNION ALL
    SELECT k._side, k.audit_key, g.grain, 'external',
           CAST(CASE g.grain WHEN 'month' THEN date_trunc('month', k.raised_on)
                             WHEN 'quarter' THEN date_trunc('quarter', k.raised_on)
                             ELSE date_trunc('year', k.raised_on) END AS DATE)
    FROM kept k CROSS JOIN (VALUES ('month'), ('quarter'), ('year')) g(grain)
    WHERE k.audit_type IN ('external', 'certification')
)
GROUP BY ALL
