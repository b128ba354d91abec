-- Where the opportunities for improvement of a review period ($date_from to $day) were raised: the five processes
-- with the most.
SELECT label AS process, CAST(sum(findings) AS BIGINT) AS ofis
FROM findings_labels
WHERE kind = 'process' AND raised_on BETWEEN $date_from AND $day
GROUP BY ALL
HAVING sum(findings) > 0
ORDER BY ofis DESC, process
LIMIT 5
