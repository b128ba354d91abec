-- The records behind kpis/mandatory_training_completion_pct.sql: mandatory, not cancelled records due in the period
-- (and already due), its denominator; in_numerator when completed by the due date.
SELECT t.*, coalesce(t.completed_on IS NOT NULL AND t.completed_on <= t.due_date, false) AS in_numerator
FROM f_training t, spine s
WHERE t.is_mandatory AND t.status <> 'cancelled' AND t.due_date IS NOT NULL AND t.due_date <= $as_of
  AND date_trunc($grain, t.due_date)::DATE = s.period
ORDER BY t.due_date, t.record_id
