-- Answers in the period that are favourable on their own scale (Likert top boxes: 4-5 of 5, 3-4 of 4, 5-7 of 7;
-- CSAT 4-5; NPS 9-10), among the answers the KPI chooses by its parameters: $stakeholder ('' for every stakeholder),
-- $pillar ('' for items of any pillar) and $share_scales (the scales counted, comma-separated; '' for every scale).
-- n is respondents; successes and answers make the value, and the sums over respondents of favourable^2,
-- favourable * answers and answers^2 give its interval (isokpi.stats.clustered_share_ci), which does not count one
-- person's answers as independent.
WITH answers AS (
    SELECT date_trunc($grain, responded_on)::DATE AS period, survey_id, response_id,
           CAST(score >= (CAST($favourable_from AS DOUBLE[]))[list_position(CAST($scales AS VARCHAR[]), scale)] AS INTEGER) AS favourable
    FROM f_survey
    WHERE ($stakeholder = '' OR stakeholder = $stakeholder) AND ($pillar = '' OR pillar = $pillar)
      AND ($share_scales = '' OR list_contains(string_split($share_scales, ','), scale))
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
