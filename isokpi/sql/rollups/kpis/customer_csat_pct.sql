-- csat5 answers of customer surveys in the period: share that are 4 or 5. n is respondents; the sums over respondents
-- give the interval as in survey_favourable.sql. Simple respondents come summed (rollup_survey_groups, family csat); the
-- others are grouped per respondent here.
WITH one_by_one AS (
    SELECT CAST(date_trunc($grain, responded_on) AS DATE) AS period, survey_id, response_id,
           sum(copies) FILTER (WHERE score >= 4) AS favourable, sum(copies) AS answers
    FROM survey_complex
    WHERE stakeholder = 'customer' AND scale = 'csat5'
    GROUP BY ALL
),
parts AS (
    SELECT CAST(date_trunc($grain, responded_on) AS DATE) AS period, sum(respondents) AS n, sum(successes) AS successes,
           sum(answers) AS answers, sum(sum_ss) AS sum_ss, sum(sum_sa) AS sum_sa, sum(sum_aa) AS sum_aa
    FROM survey_groups WHERE family = 'csat' AND stakeholder = 'customer'
    GROUP BY ALL
    UNION ALL
    SELECT period, count(*), sum(coalesce(favourable, 0)), sum(answers), sum(coalesce(favourable, 0) * coalesce(favourable, 0)),
           sum(coalesce(favourable, 0) * answers), sum(answers * answers)
    FROM one_by_one GROUP BY period
)
SELECT period, 100.0 * sum(successes) / sum(answers) AS value, CAST(sum(n) AS BIGINT) AS n,
       sum(successes) AS successes, sum(answers) AS answers,
       sum(sum_ss) AS sum_ss, sum(sum_sa) AS sum_sa, sum(sum_aa) AS sum_aa
FROM parts
GROUP BY period
HAVING sum(n) > 0
ORDER BY period
