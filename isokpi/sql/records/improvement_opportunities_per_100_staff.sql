-- The records behind kpis/improvement_opportunities_per_100_staff.sql: the findings of severity ofi raised in the
-- period, each counted (the value divides their number by the staff on record, the series' n).
SELECT f.*, true AS in_numerator
FROM f_findings f, spine s
WHERE f.severity = 'ofi' AND date_trunc($grain, f.raised_on)::DATE = s.period
ORDER BY f.raised_on, f.finding_id
