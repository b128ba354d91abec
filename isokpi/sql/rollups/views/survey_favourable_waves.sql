-- Per wave of $stakeholder's surveys and pillar: share of favourable Likert answers, respondents (n), and the sums over
-- respondents that give its confidence interval (as survey_favourable_waves.sql). A wave is placed at its first answer.
WITH one_by_one AS (
    SELECT survey_id, pillar, response_id, sum(copies * favourable) AS favourable, sum(copies) AS answers
    FROM likert_complex
    WHERE stakeholder = $stakeholder
    GROUP BY ALL
),
parts AS (
    SELECT survey_id, pillar, sum(respondents) AS respondents, sum(successes) AS successes, sum(answers) AS answers,
           sum(sum_ss) AS sum_ss, sum(sum_sa) AS sum_sa, sum(sum_aa) AS sum_aa
    FROM likert_groups WHERE stakeholder = $stakeholder
    GROUP BY ALL
    UNION ALL
    SELECT survey_id, pillar, count(*), sum(favourable), sum(answers), sum(favourable * favourable),
           sum(favourable * answers), sum(answers * answers)
    FROM one_by_one GROUP BY ALL
),
waves AS (
    SELECT survey_id, min(responded_on) AS wave_start
    FROM (
        SELECT survey_id, responded_on FROM likert_groups WHERE stakeholder = $stakeholder
        GROUP BY survey_id, responded_on, site, department, stakeholder, pillar HAVING sum(respondents) > 0
        UNION ALL
        SELECT survey_id, responded_on FROM likert_complex WHERE stakeholder = $stakeholder
    )
    GROUP BY survey_id
),
summed AS (
    SELECT survey_id, pillar, sum(respondents) AS respondents, sum(successes) AS successes, sum(answers) AS answers,
           sum(sum_ss) AS sum_ss, sum(sum_sa) AS sum_sa, sum(sum_aa) AS sum_aa
    FROM parts GROUP BY ALL HAVING sum(respondents) > 0
)
SELECT r.survey_id, w.wave_start, r.pillar, CAST(r.respondents AS BIGINT) AS respondents,
       100.0 * r.successes / r.answers AS favourable_pct, r.successes, r.answers, r.sum_ss, r.sum_sa, r.sum_aa
FROM summed r
JOIN waves w USING (survey_id)
ORDER BY w.wave_start, r.survey_id, r.pillar
