-- The answers of respondents who are not simple (answers on several days, sites, departments or stakeholders), as they
-- are: the KPI and page queries group them per respondent as the raw queries do and add them to survey_groups.
SELECT _side, survey_id, response_id, responded_on, site, department, stakeholder, pillar, scale, score,
       count(*) AS answers
FROM answers
WHERE NOT simple
GROUP BY ALL
