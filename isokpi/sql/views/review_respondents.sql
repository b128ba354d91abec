-- Survey respondents of a review period ($date_from to $day) by stakeholder.
SELECT stakeholder, count(DISTINCT (survey_id, response_id)) AS respondents
FROM f_survey
WHERE responded_on BETWEEN $date_from AND $day AND stakeholder IS NOT NULL
GROUP BY stakeholder
