-- The records behind kpis/customer_nps.sql: the nps10 answers of customer surveys in the period; in_numerator for
-- promoters (9-10); detractors are 0-6. _respondent never leaves isokpi.records.
SELECT a.*, a.score >= 9 AS in_numerator, a.survey_id || '|' || a.response_id AS _respondent
FROM f_survey a, spine s
WHERE a.stakeholder = 'customer' AND a.scale = 'nps10' AND date_trunc($grain, a.responded_on)::DATE = s.period
ORDER BY a.responded_on, a.survey_id, a.question_id
