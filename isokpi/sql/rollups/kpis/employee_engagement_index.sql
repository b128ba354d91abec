-- Employee Likert answers in the period rescaled to 0-100, averaged per respondent, then over respondents. n is
-- respondents; sd the spread of respondents' own means. Simple respondents come as sums of their means and of the
-- means squared (rollup_survey_groups, family engagement); the others are averaged per respondent here.
WITH one_by_one AS (
    SELECT CAST(date_trunc($grain, responded_on) AS DATE) AS period, survey_id, response_id,
           sum(copies * 100.0 * (score - (CAST($scale_min AS DOUBLE[]))[list_position(CAST($scales AS VARCHAR[]), scale)])
               / ((CAST($scale_max AS DOUBLE[]))[list_position(CAST($scales AS VARCHAR[]), scale)]
                  - (CAST($scale_min AS DOUBLE[]))[list_position(CAST($scales AS VARCHAR[]), scale)])) / sum(copies) AS index_
    FROM survey_complex
    WHERE stakeholder = 'employee' AND scale IN ('likert4', 'likert5', 'likert7')
    GROUP BY ALL
),
parts AS (
    SELECT CAST(date_trunc($grain, responded_on) AS DATE) AS period, sum(respondents) AS n,
           sum(engagement_sum) AS total, sum(engagement_squares) AS squares
    FROM survey_groups WHERE family = 'engagement' AND stakeholder = 'employee'
    GROUP BY ALL
    UNION ALL
    SELECT period, count(*), sum(index_), sum(index_ * index_) FROM one_by_one GROUP BY period
),
summed AS (
    SELECT period, sum(n) AS n, sum(total) AS total, sum(squares) AS squares FROM parts GROUP BY period HAVING sum(n) > 0
)
SELECT period, total / n AS value, CAST(n AS BIGINT) AS n,
       CASE WHEN n > 1 THEN sqrt(greatest(squares - total * total / n, 0) / (n - 1)) END AS sd,
       CAST(n AS BIGINT) AS answers
FROM summed
ORDER BY period
