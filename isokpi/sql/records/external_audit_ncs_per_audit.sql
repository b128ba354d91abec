-- The records behind kpis/external_audit_ncs_per_audit.sql: the findings of external and certification audits raised
-- in the period (their distinct audits are the denominator); in_numerator for the major and minor nonconformities.
SELECT f.*, f.severity IN ('major_nc', 'minor_nc') AS in_numerator, f.audit_key AS _audit
FROM f_findings f, spine s
WHERE f.audit_type IN ('external', 'certification') AND date_trunc($grain, f.raised_on)::DATE = s.period
ORDER BY f.raised_on, f.finding_id
