-- The answers of one wave ($survey_id) per pillar on the 5-point agreement axis of survey_answers.sql: percent of
-- answers in each category, and the respondents (n).
WITH parts AS (
    SELECT pillar, sum(respondents) AS respondents, sum(answers) AS answers, sum(agree_1) AS a1, sum(agree_2) AS a2,
           sum(agree_3) AS a3, sum(agree_4) AS a4, sum(agree_5) AS a5
    FROM likert_groups WHERE survey_id = $survey_id
    GROUP BY ALL
    UNION ALL
    SELECT pillar, count(DISTINCT response_id), sum(copies),
           coalesce(sum(copies) FILTER (WHERE agreement = 1), 0), coalesce(sum(copies) FILTER (WHERE agreement = 2), 0),
           coalesce(sum(copies) FILTER (WHERE agreement = 3), 0), coalesce(sum(copies) FILTER (WHERE agreement = 4), 0),
           coalesce(sum(copies) FILTER (WHERE agreement = 5), 0)
    FROM likert_complex WHERE survey_id = $survey_id
    GROUP BY ALL
),
summed AS (
    SELECT pillar, sum(respondents) AS respondents, sum(answers) AS answers, sum(a1) AS a1, sum(a2) AS a2,
           sum(a3) AS a3, sum(a4) AS a4, sum(a5) AS a5
    FROM parts GROUP BY pillar HAVING sum(answers) > 0
)
SELECT pillar, CAST(respondents AS BIGINT) AS respondents, CAST(answers AS BIGINT) AS answers,
       100.0 * a1 / answers AS strongly_disagree,
       100.0 * a2 / answers AS disagree,
       100.0 * a3 / answers AS neutral,
       100.0 * a4 / answers AS agree,
       100.0 * a5 / answers AS strongly_agree
FROM summed
ORDER BY pillar
