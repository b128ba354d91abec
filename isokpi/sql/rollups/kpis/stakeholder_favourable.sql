-- Every answer of $stakeholder surveys in the period: share favourable on its own scale (Likert top boxes, CSAT 4-5,
-- NPS 9-10). n is respondents; the other columns as in survey_favourable.sql. Simple respondents come summed
-- (rollup_survey_groups, family stakeholder); the others are grouped per respondent here.
WITH one_by_one AS (
    SELECT CAST(date_trunc($grain, responded_on) AS DATE) AS period, survey_id, response_id,
           sum(copies * CAST(score >= (CAST($favourable_from AS DOUBLE[]))[list_position(CAST($scales AS VARCHAR[]), scale)]
                             AS INTEGER)) AS favourable,
           sum(copies) AS answers
    FROM survey_complex
    WHERE stakeholder = $stakeholder
    GROUP BY ALL
),
parts AS (
    SELECT CAST(date_trunc($grain, responded_on) AS DATE) AS period, sum(respondents) AS n, sum(successes) AS successes,
           sum(answers) AS answers, sum(sum_ss) AS sum_ss, sum(sum_sa) AS sum_sa, sum(sum_aa) AS sum_aa
    FROM survey_groups WHERE family = 'stakeholder' AND stakeholder = $stakeholder
    GROUP BY ALL
    UNION ALL
    SELECT period, count(*), sum(favourable), sum(answers), sum(favourable * favourable), sum(favourable * answers),
           sum(answers * answers)
    FROM one_by_one GROUP BY period
)
SELECT period, 100.0 * sum(successes) / sum(answers) AS value, CAST(sum(n) AS BIGINT) AS n,
       sum(successes) AS successes, sum(answers) AS answers,
       sum(sum_ss) AS sum_ss, sum(sum_sa) AS sum_sa, sum(sum_aa) AS sum_aa
FROM parts
GROUP BY period
HAVING sum(n) > 0
ORDER BY period
