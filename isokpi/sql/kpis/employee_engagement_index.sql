-- Employee Likert answers in the period rescaled to 0-100 (lowest answer 0, highest 100), averaged per
-- respondent, then over respondents. n is respondents; sd the spread of respondents' own means.
WITH respondents AS (
    SELECT date_trunc($grain, responded_on)::DATE AS period, survey_id, response_id,
           avg(100.0 * (score - (CAST($scale_min AS DOUBLE[]))[list_position(CAST($scales AS VARCHAR[]), scale)])
               / ((CAST($scale_max AS DOUBLE[]))[list_position(CAST($scales AS VARCHAR[]), scale)]
                  - (CAST($scale_min AS DOUBLE[]))[list_position(CAST($scales AS VARCHAR[]), scale)])) AS index_
    FROM f_survey
    WHERE stakeholder = 'employee' AND scale IN ('likert4', 'likert5', 'likert7')
    GROUP BY ALL
)
SELECT period, avg(index_) AS value, count(*) AS n, stddev_samp(index_) AS sd, count(*) AS answers
FROM respondents
GROUP BY period
ORDER BY period
