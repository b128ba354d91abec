-- Survey respondents of a review period ($date_from to $day) by stakeholder.
SELECT stakeholder, CAST(sum(respondents) AS BIGINT) AS respondents
FROM (
    SELECT stakeholder, sum(respondents) AS respondents
    FROM survey_groups
    WHERE family = 'stakeholder' AND responded_on BETWEEN $date_from AND $day AND stakeholder IS NOT NULL
    GROUP BY ALL
    UNION ALL
    SELECT stakeholder, count(DISTINCT (survey_id, response_id))
    FROM survey_complex
    WHERE responded_on BETWEEN $date_from AND $day AND stakeholder IS NOT NULL
    GROUP BY ALL
)
GROUP BY stakeholder
HAVING sum(respondents) > 0
