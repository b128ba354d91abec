-- CTEs shared by the survey roll-ups. input_rows: survey answers, each with _side (1: the data with the change, 0:
-- without it); a roll-up partitioned by respondent gets every answer of each respondent a change touched.
-- Parameters: $scales, $favourable_from, $scale_min, $scale_max (isokpi.datasets: SCALE_RANGES, FAVOURABLE_FROM).
respondent_flags AS (
    -- A respondent (survey_id, response_id) is simple when all their answers share one day, site, department and
    -- stakeholder: every filter and every period then takes all of their answers or none, so their per-respondent sums
    -- can be added up without knowing who they are.
    SELECT _side, survey_id, response_id,
           count(DISTINCT struct_pack(d := responded_on, s := site, t := department, k := stakeholder)) = 1 AS simple
    FROM input_rows
    GROUP BY ALL
),
answers AS (
    SELECT a.*, f.simple,
           a.scale IN ('likert4', 'likert5', 'likert7') AS likert,
           CAST(a.score >= (CAST($favourable_from AS DOUBLE[]))[list_position(CAST($scales AS VARCHAR[]), a.scale)]
                AS INTEGER) AS favourable,
           -- employee_engagement_index.sql's 0-100 rescaling
           100.0 * (a.score - (CAST($scale_min AS DOUBLE[]))[list_position(CAST($scales AS VARCHAR[]), a.scale)])
               / ((CAST($scale_max AS DOUBLE[]))[list_position(CAST($scales AS VARCHAR[]), a.scale)]
                  - (CAST($scale_min AS DOUBLE[]))[list_position(CAST($scales AS VARCHAR[]), a.scale)]) AS rescaled,
           -- survey_answers.sql's 5-point agreement axis
           CASE a.scale
               WHEN 'likert4' THEN [1, 2, 4, 5][CAST(a.score AS INTEGER)]
               WHEN 'likert7' THEN [1, 2, 2, 3, 4, 4, 5][CAST(a.score AS INTEGER)]
               ELSE CAST(a.score AS INTEGER)
           END AS agreement
    FROM input_rows a
    JOIN respondent_flags f USING (_side, survey_id, response_id)
)
