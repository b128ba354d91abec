-- csat5 answers of customer surveys in the period: share that are 4 or 5. n is respondents; the sums over
-- respondents give the interval as in survey_favourable.sql (a respondent may answer several csat5 items).
WITH respondents AS (
    SELECT date_trunc($grain, responded_on)::DATE AS period, survey_id, response_id,
           count(*) FILTER (WHERE score >= 4) AS favourable, count(*) AS answers
    FROM f_survey
    WHERE stakeholder = 'customer' AND scale = 'csat5'
    GROUP BY ALL
)
SELECT period, 100.0 * sum(favourable) / sum(answers) AS value, count(*) AS n,
       sum(favourable) AS successes, sum(answers) AS answers,
       sum(favourable * favourable) AS sum_ss, sum(favourable * answers) AS sum_sa, sum(answers * answers) AS sum_aa
FROM respondents
GROUP BY period
ORDER BY period
