-- csat5 answers of customer surveys in the period: share that are 4 or 5.
SELECT date_trunc($grain, responded_on)::DATE AS period,
       100.0 * count(*) FILTER (WHERE score >= 4) / count(*) AS value,
       count(DISTINCT (survey_id, response_id)) AS n,
       count(*) FILTER (WHERE score >= 4) AS successes,
       count(*) AS answers
FROM f_survey
WHERE stakeholder = 'customer' AND scale = 'csat5'
GROUP BY ALL
ORDER BY period
