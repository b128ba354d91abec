-- The records behind kpis/favourable_share.sql: the answers in the period that the KPI's $stakeholder, $pillar and
-- $share_scales choose, its denominator; in_numerator when favourable on its own scale. _respondent never leaves
-- isokpi.records.
SELECT a.*, a.score >= (CAST($favourable_from AS DOUBLE[]))[list_position(CAST($scales AS VARCHAR[]), a.scale)]
       AS in_numerator, a.survey_id || '|' || a.response_id AS _respondent
FROM f_survey a, spine s
WHERE ($stakeholder = '' OR a.stakeholder = $stakeholder) AND ($pillar = '' OR a.pillar = $pillar)
  AND ($share_scales = '' OR list_contains(string_split($share_scales, ','), a.scale))
  AND date_trunc($grain, a.responded_on)::DATE = s.period
ORDER BY a.responded_on, a.survey_id, a.question_id
