-- Every answer of $stakeholder surveys in the period: share favourable on its own scale
-- (Likert top boxes, CSAT 4-5, NPS 9-10). n is respondents; sd as in survey_favourable.sql.
WITH answers AS (
    SELECT date_trunc($grain, responded_on)::DATE AS period, survey_id, response_id,
           CAST(score >= (CAST($favourable_from AS DOUBLE[]))[list_position(CAST($scales AS VARCHAR[]), scale)] AS INTEGER) AS favourable
    FROM f_survey
    WHERE stakeholder = $stakeholder
),
respondents AS (
    SELECT period, survey_id, response_id, avg(favourable) AS share, sum(favourable) AS favourable, count(*) AS answers
    FROM answers GROUP BY ALL
)
SELECT period, 100.0 * sum(favourable) / sum(answers) AS value, count(*) AS n,
       100.0 * stddev_samp(share) AS sd, sum(answers) AS answers
FROM respondents
GROUP BY period
ORDER BY period
