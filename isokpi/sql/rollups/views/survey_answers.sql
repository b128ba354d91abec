-- Likert answers tagged with a pillar in the date range: simple respondents summed per survey, day, cell, stakeholder
-- and pillar (rollup_survey_groups, family pillar); the others answer by answer, with survey_answers.sql's favourable
-- rule and 5-point agreement axis. A fragment of CTEs like common.sql, for the survey views.
likert_groups AS (
    SELECT * FROM survey_groups
    WHERE family = 'pillar'
      AND ($date_from IS NULL OR responded_on >= $date_from)
      AND ($date_to IS NULL OR responded_on <= $date_to)
),
likert_complex AS (
    SELECT survey_id, response_id, stakeholder, responded_on, pillar, copies,
           CAST(score >= (CAST($favourable_from AS DOUBLE[]))[list_position(CAST($scales AS VARCHAR[]), scale)]
                AS INTEGER) AS favourable,
           CASE scale
               WHEN 'likert4' THEN [1, 2, 4, 5][CAST(score AS INTEGER)]
               WHEN 'likert7' THEN [1, 2, 2, 3, 4, 4, 5][CAST(score AS INTEGER)]
               ELSE CAST(score AS INTEGER)
           END AS agreement
    FROM survey_complex
    WHERE scale IN ('likert4', 'likert5', 'likert7') AND pillar IS NOT NULL
      AND ($date_from IS NULL OR responded_on >= $date_from)
      AND ($date_to IS NULL OR responded_on <= $date_to)
)
