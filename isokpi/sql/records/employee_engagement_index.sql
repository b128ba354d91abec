-- The records behind kpis/employee_engagement_index.sql: the employees' Likert answers in the period, each counted;
-- _index is the answer rescaled to 0-100 and _respondent groups them per respondent (neither leaves isokpi.records).
SELECT a.*, true AS in_numerator, a.survey_id || '|' || a.response_id AS _respondent,
       100.0 * (a.score - (CAST($scale_min AS DOUBLE[]))[list_position(CAST($scales AS VARCHAR[]), a.scale)])
       / ((CAST($scale_max AS DOUBLE[]))[list_position(CAST($scales AS VARCHAR[]), a.scale)]
          - (CAST($scale_min AS DOUBLE[]))[list_position(CAST($scales AS VARCHAR[]), a.scale)]) AS _index
FROM f_survey a, spine s
WHERE a.stakeholder = 'employee' AND a.scale IN ('likert4', 'likert5', 'likert7')
  AND date_trunc($grain, a.responded_on)::DATE = s.period
ORDER BY a.responded_on, a.survey_id, a.question_id
