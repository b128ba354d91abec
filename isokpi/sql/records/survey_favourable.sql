-- The records behind kpis/survey_favourable.sql: the Likert answers to items tagged $pillar in the period, its
-- denominator; in_numerator when favourable on its scale. _respondent never leaves isokpi.records.
SELECT a.*, a.score >= (CAST($favourable_from AS DOUBLE[]))[list_position(CAST($scales AS VARCHAR[]), a.scale)]
       AS in_numerator, a.survey_id || '|' || a.response_id AS _respondent
FROM f_survey a, spine s
WHERE a.pillar = $pillar AND a.scale IN ('likert4', 'likert5', 'likert7')
  AND date_trunc($grain, a.responded_on)::DATE = s.period
ORDER BY a.responded_on, a.survey_id, a.question_id
