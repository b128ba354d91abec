-- Likert answers in the date range, with the favourable rule of the survey_favourable KPI (4-5 of 5, 3-4 of 4,
-- 5-7 of 7) and an agreement category on one 5-point axis: 1 strongly disagree, 2 disagree, 3 neutral,
-- 4 agree, 5 strongly agree. A 4-point scale has no neutral (1 2 | 3 4 map to 1 2 | 4 5); a 7-point scale
-- folds its "somewhat" answers into agree and disagree (1 | 2 3 | 4 | 5 6 | 7). A fragment of CTEs like
-- common.sql, for the survey views.
likert AS (
    SELECT survey_id, response_id, stakeholder, responded_on, pillar,
           CAST(score >= (CAST($favourable_from AS DOUBLE[]))[list_position(CAST($scales AS VARCHAR[]), scale)]
                AS INTEGER) AS favourable,
           CASE scale
               WHEN 'likert4' THEN [1, 2, 4, 5][CAST(score AS INTEGER)]
               WHEN 'likert7' THEN [1, 2, 2, 3, 4, 4, 5][CAST(score AS INTEGER)]
               ELSE CAST(score AS INTEGER)
           END AS agreement
    FROM f_survey
    WHERE scale IN ('likert4', 'likert5', 'likert7') AND pillar IS NOT NULL
      AND ($date_from IS NULL OR responded_on >= $date_from)
      AND ($date_to IS NULL OR responded_on <= $date_to)
)
