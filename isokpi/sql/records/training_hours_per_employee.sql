-- The records behind kpis/training_hours_per_employee.sql: training completed in the period, each counted (the
-- value is their hours over the staff on record, the series' n).
SELECT t.*, true AS in_numerator
FROM f_training t, spine s
WHERE t.status = 'completed' AND t.completed_on IS NOT NULL AND date_trunc($grain, t.completed_on)::DATE = s.period
ORDER BY t.completed_on, t.record_id
