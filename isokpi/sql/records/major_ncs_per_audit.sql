-- The records behind kpis/major_ncs_per_audit.sql: every finding raised in the period (their distinct audits are the
-- denominator); in_numerator for the major nonconformities.
SELECT f.*, f.severity = 'major_nc' AS in_numerator, f.audit_key AS _audit
FROM f_findings f, spine s
WHERE date_trunc($grain, f.raised_on)::DATE = s.period
ORDER BY f.raised_on, f.finding_id
