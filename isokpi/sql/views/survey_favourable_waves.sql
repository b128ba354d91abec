-- Per wave of $stakeholder's surveys and pillar: share of favourable Likert answers, respondents (n), and the
-- spread of respondents' own favourable shares for a confidence interval that does not count one person's
-- answers as independent (as in the survey_favourable KPI). A wave is placed at its first answer.
WITH respondents AS (
    SELECT survey_id, pillar, response_id, avg(favourable) AS share, sum(favourable) AS favourable,
           count(*) AS answers
    FROM likert
    WHERE stakeholder = $stakeholder
    GROUP BY ALL
),
waves AS (
    SELECT survey_id, min(responded_on) AS wave_start FROM likert WHERE stakeholder = $stakeholder GROUP BY ALL
)
SELECT r.survey_id, w.wave_start, r.pillar, count(*) AS respondents,
       100.0 * sum(r.favourable) / sum(r.answers) AS favourable_pct, 100.0 * stddev_samp(r.share) AS sd
FROM respondents r
JOIN waves w USING (survey_id)
GROUP BY ALL
ORDER BY w.wave_start, r.survey_id, r.pillar
