-- The records behind kpis/customer_csat_pct.sql: the csat5 answers of customer surveys in the period, its
-- denominator; in_numerator for 4 and 5. _respondent never leaves isokpi.records.
SELECT a.*, a.score >= 4 AS in_numerator, a.survey_id || '|' || a.response_id AS _respondent
FROM f_survey a, spine s
WHERE a.stakeholder = 'customer' AND a.scale = 'csat5' AND date_trunc($grain, a.responded_on)::DATE = s.period
ORDER BY a.responded_on, a.survey_id, a.question_id
