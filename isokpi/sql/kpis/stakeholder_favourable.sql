-- Every answer of $stakeholder surveys in the period: share favourable on its own scale
-- (Likert top boxes, CSAT 4-5, NPS 9-10). n is respondents; the other columns as in survey_favourable.sql.
WITH answers AS (
    SELECT date_trunc($grain, responded_on)::DATE AS period, survey_id, response_id,
           CAST(score >= (CAST($favourable_from AS DOUBLE[]))[list_position(CAST($scales AS VARCHAR[]), scale)] AS INTEGER) AS favourable
    FROM f_survey
    WHERE stakeholder = $stakeholder
),
respondents AS (
    SELECT period, survey_id, response_id, sum(favourable) AS favourable, count(*) AS answers
    FROM answers GROUP BY ALL
)
SELECT period, 100.0 * sum(favourable) / sum(answers) AS value, count(*) AS n,
       sum(favourable) AS successes, sum(answers) AS answers,
       sum(favourable * favourable) AS sum_ss, sum(favourable * answers) AS sum_sa, sum(answers * answers) AS sum_aa
FROM respondents
GROUP BY period
ORDER BY period
