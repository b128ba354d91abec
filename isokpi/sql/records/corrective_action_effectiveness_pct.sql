-- The records behind kpis/effectiveness_pct.sql for findings: nonconformities closed in the period with an
-- effectiveness review, its denominator; in_numerator when judged effective.
SELECT f.*, f.effectiveness = 'effective' AS in_numerator
FROM f_findings f, spine s
WHERE f.severity IN ('major_nc', 'minor_nc') AND f.closed_on IS NOT NULL
  AND f.effectiveness IN ('effective', 'partially_effective', 'not_effective')
  AND date_trunc($grain, f.closed_on)::DATE = s.period
ORDER BY f.closed_on, f.finding_id
