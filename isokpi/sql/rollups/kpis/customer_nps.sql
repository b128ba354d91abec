-- nps10 answers of customer surveys in the period: percent of 9-10 minus percent of 0-6. Simple respondents come summed
-- (rollup_survey_groups, family nps), the others answer by answer.
WITH parts AS (
    SELECT CAST(date_trunc($grain, responded_on) AS DATE) AS period, sum(respondents) AS n, sum(promoters) AS promoters,
           sum(detractors) AS detractors, sum(answers) AS answers
    FROM survey_groups WHERE family = 'nps' AND stakeholder = 'customer'
    GROUP BY ALL
    UNION ALL
    SELECT CAST(date_trunc($grain, responded_on) AS DATE), count(DISTINCT (survey_id, response_id)),
           coalesce(sum(copies) FILTER (WHERE score >= 9), 0), coalesce(sum(copies) FILTER (WHERE score <= 6), 0),
           sum(copies)
    FROM survey_complex
    WHERE stakeholder = 'customer' AND scale = 'nps10'
    GROUP BY ALL
)
SELECT period, 100.0 * (sum(promoters) - sum(detractors)) / sum(answers) AS value, CAST(sum(n) AS BIGINT) AS n,
       CAST(sum(promoters) AS BIGINT) AS promoters, CAST(sum(detractors) AS BIGINT) AS detractors,
       CAST(sum(answers) AS BIGINT) AS answers
FROM parts
GROUP BY period
HAVING sum(answers) > 0
ORDER BY period
