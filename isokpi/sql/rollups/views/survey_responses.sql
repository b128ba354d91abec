-- Respondents per survey wave in the date range, placed at the wave's first answer; likert says whether the wave has
-- Likert answers tagged with a pillar. Simple respondents come summed (rollup_survey_groups, family stakeholder), the
-- others answer by answer.
WITH parts AS (
    SELECT survey_id, stakeholder, min(responded_on) AS wave_start, sum(respondents) AS respondents,
           sum(likert_answers) > 0 AS likert
    FROM (
        SELECT survey_id, stakeholder, responded_on, sum(respondents) AS respondents,
               sum(likert_answers) AS likert_answers
        FROM survey_groups
        WHERE family = 'stakeholder'
          AND ($date_from IS NULL OR responded_on >= $date_from) AND ($date_to IS NULL OR responded_on <= $date_to)
        GROUP BY survey_id, stakeholder, responded_on, site, department
        HAVING sum(respondents) > 0
    )
    GROUP BY ALL
    UNION ALL
    SELECT survey_id, stakeholder, min(responded_on), count(DISTINCT response_id),
           bool_or(scale IN ('likert4', 'likert5', 'likert7') AND pillar IS NOT NULL)
    FROM survey_complex
    WHERE ($date_from IS NULL OR responded_on >= $date_from) AND ($date_to IS NULL OR responded_on <= $date_to)
    GROUP BY ALL
)
SELECT survey_id, stakeholder, min(wave_start) AS wave_start, CAST(sum(respondents) AS BIGINT) AS respondents,
       bool_or(likert) AS likert
FROM parts
GROUP BY ALL
ORDER BY wave_start, survey_id
