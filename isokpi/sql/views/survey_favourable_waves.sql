-- Per wave of $stakeholder's surveys and pillar: share of favourable Likert answers, respondents (n), and the
-- sums over respondents that give its confidence interval without counting one person's answers as independent
-- (isokpi.stats.clustered_share_ci, as in the survey_favourable KPI). A wave is placed at its first answer.
WITH respondents AS (
    SELECT survey_id, pillar, response_id, sum(favourable) AS favourable, count(*) AS answers
    FROM likert
    WHERE stakeholder = $stakeholder
    GROUP BY ALL
),
waves AS (
    SELECT survey_id, min(responded_on) AS wave_start FROM likert WHERE stakeholder = $stakeholder GROUP BY ALL
)
SELECT r.survey_id, w.wave_start, r.pillar, count(*) AS respondents,
       100.0 * sum(r.favourable) / sum(r.answers) AS favourable_pct, sum(r.favourable) AS successes,
       sum(r.answers) AS answers, sum(r.favourable * r.favourable) AS sum_ss, sum(r.favourable * r.answers) AS sum_sa,
       sum(r.answers * r.answers) AS sum_aa
FROM respondents r
JOIN waves w USING (survey_id)
GROUP BY ALL
ORDER BY w.wave_start, r.survey_id, r.pillar
