-- Respondents per survey wave in the date range, placed at the wave's first answer; likert says whether the
-- wave has Likert answers tagged with a pillar (the waves the favourable and distribution charts can use).
SELECT s.survey_id, s.stakeholder, min(s.responded_on) AS wave_start, count(DISTINCT s.response_id) AS respondents,
       bool_or(s.scale IN ('likert4', 'likert5', 'likert7') AND s.pillar IS NOT NULL) AS likert
FROM f_survey s
WHERE ($date_from IS NULL OR s.responded_on >= $date_from) AND ($date_to IS NULL OR s.responded_on <= $date_to)
GROUP BY ALL
ORDER BY wave_start, s.survey_id
