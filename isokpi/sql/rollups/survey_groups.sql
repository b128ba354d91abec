-- Simple respondents' answers summed per respondent, then over respondents, per family of KPI and page, survey, day,
-- cell, stakeholder and pillar: respondents, answers, favourable answers (successes) and the sums over respondents of
-- successes^2, successes * answers and answers^2 that give a share's interval; NPS promoters and detractors; the
-- engagement index of each respondent summed and squared; agreement counts; Likert answers tagged with a pillar.
--   pillar       Likert answers tagged with a pillar, per pillar (survey_favourable, the Surveys page's waves and answers)
--   stakeholder  every answer, favourable on its own scale (stakeholder_favourable, responses, the review's respondents)
--   csat         csat5 answers, favourable 4-5 (customer_csat_pct)
--   nps          nps10 answers (customer_nps)
--   engagement   Likert answers, rescaled to 0-100 (employee_engagement_index)
WITH simple_answers AS (
    SELECT * FROM answers WHERE simple
),
per_respondent AS (
    SELECT _side, 'pillar' AS family, survey_id, response_id, responded_on, site, department, stakeholder, pillar,
           count(*) AS answers, sum(favourable) AS successes, 0 AS promoters, 0 AS detractors,
           CAST(NULL AS DOUBLE) AS engagement,
           count(*) FILTER (WHERE agreement = 1) AS agree_1, count(*) FILTER (WHERE agreement = 2) AS agree_2,
           count(*) FILTER (WHERE agreement = 3) AS agree_3, count(*) FILTER (WHERE agreement = 4) AS agree_4,
           count(*) FILTER (WHERE agreement = 5) AS agree_5, 0 AS likert_answers
    FROM simple_answers
    WHERE likert AND pillar IS NOT NULL
    GROUP BY _side, survey_id, response_id, responded_on, site, department, stakeholder, pillar
    UNION ALL
    SELECT _side, 'stakeholder', survey_id, response_id, responded_on, site, department, stakeholder, NULL,
           count(*), sum(favourable), 0, 0, NULL, 0, 0, 0, 0, 0, count(*) FILTER (WHERE likert AND pillar IS NOT NULL)
    FROM simple_answers
    GROUP BY _side, survey_id, response_id, responded_on, site, department, stakeholder
    UNION ALL
    SELECT _side, 'csat', survey_id, response_id, responded_on, site, department, stakeholder, NULL,
           count(*), count(*) FILTER (WHERE score >= 4), 0, 0, NULL, 0, 0, 0, 0, 0, 0
    FROM simple_answers
    WHERE scale = 'csat5'
    GROUP BY _side, survey_id, response_id, responded_on, site, department, stakeholder
    UNION ALL
    SELECT _side, 'nps', survey_id, response_id, responded_on, site, department, stakeholder, NULL,
           count(*), 0, count(*) FILTER (WHERE score >= 9), count(*) FILTER (WHERE score <= 6), NULL, 0, 0, 0, 0, 0, 0
    FROM simple_answers
    WHERE scale = 'nps10'
    GROUP BY _side, survey_id, response_id, responded_on, site, department, stakeholder
    UNION ALL
    SELECT _side, 'engagement', survey_id, response_id, responded_on, site, department, stakeholder, NULL,
           count(*), 0, 0, 0, avg(rescaled), 0, 0, 0, 0, 0, 0
    FROM simple_answers
    WHERE likert
    GROUP BY _side, survey_id, response_id, responded_on, site, department, stakeholder
)
SELECT _side, family, survey_id, responded_on, site, department, stakeholder, pillar,
       count(*) AS respondents, sum(answers) AS answers, sum(successes) AS successes,
       sum(successes * successes) AS sum_ss, sum(successes * answers) AS sum_sa, sum(answers * answers) AS sum_aa,
       sum(promoters) AS promoters, sum(detractors) AS detractors,
       coalesce(sum(engagement), 0) AS engagement_sum, coalesce(sum(engagement * engagement), 0) AS engagement_squares,
       sum(agree_1) AS agree_1, sum(agree_2) AS agree_2, sum(agree_3) AS agree_3, sum(agree_4) AS agree_4,
       sum(agree_5) AS agree_5, sum(likert_answers) AS likert_answers
FROM per_respondent
GROUP BY ALL
