-- The records behind kpis/stakeholder_favourable.sql: every answer of $stakeholder surveys in the period, its
-- denominator; in_numerator when favourable on its own scale. _respondent never leaves isokpi.records.
SELECT a.*, a.score >= (CAST($favourable_from AS DOUBLE[]))[list_position(CAST($scales AS VARCHAR[]), a.scale)]
       AS in_numerator, a.survey_id || '|' || a.response_id AS _respondent
FROM f_survey a, spine s
WHERE a.stakeholder = $stakeholder AND date_trunc($grain, a.responded_on)::DATE = s.period
ORDER BY a.responded_on, a.survey_id, a.question_id
