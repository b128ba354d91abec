-- The records behind kpis/effectiveness_pct.sql for training: evaluated training completed in the period, its
-- denominator; in_numerator when judged effective.
SELECT t.*, t.effectiveness = 'effective' AS in_numerator
FROM f_training t, spine s
WHERE t.status = 'completed' AND t.completed_on IS NOT NULL
  AND t.effectiveness IN ('effective', 'partially_effective', 'not_effective')
  AND date_trunc($grain, t.completed_on)::DATE = s.period
ORDER BY t.completed_on, t.record_id
