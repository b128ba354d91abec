-- The answers of one wave ($survey_id) per pillar on the 5-point agreement axis of survey_answers.sql:
-- percent of answers in each category, and the respondents (n).
SELECT pillar, count(DISTINCT response_id) AS respondents, count(*) AS answers,
       100.0 * count(*) FILTER (WHERE agreement = 1) / count(*) AS strongly_disagree,
       100.0 * count(*) FILTER (WHERE agreement = 2) / count(*) AS disagree,
       100.0 * count(*) FILTER (WHERE agreement = 3) / count(*) AS neutral,
       100.0 * count(*) FILTER (WHERE agreement = 4) / count(*) AS agree,
       100.0 * count(*) FILTER (WHERE agreement = 5) / count(*) AS strongly_agree
FROM likert
WHERE survey_id = $survey_id
GROUP BY pillar
ORDER BY pillar
