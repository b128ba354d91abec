-- nps10 answers of customer surveys in the period: percent of 9-10 minus percent of 0-6.
SELECT date_trunc($grain, responded_on)::DATE AS period,
       100.0 * (count(*) FILTER (WHERE score >= 9) - count(*) FILTER (WHERE score <= 6)) / count(*) AS value,
       count(DISTINCT (survey_id, response_id)) AS n,
       count(*) FILTER (WHERE score >= 9) AS promoters,
       count(*) FILTER (WHERE score <= 6) AS detractors,
       count(*) AS answers
FROM f_survey
WHERE stakeholder = 'customer' AND scale = 'nps10'
GROUP BY ALL
ORDER BY period
