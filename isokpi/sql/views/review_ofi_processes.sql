-- Where the opportunities for improvement of a review period ($date_from to $day) were raised: the five processes
-- with the most.
SELECT coalesce(process, '(process not stated)') AS process, count(*) AS ofis
FROM f_findings
WHERE severity = 'ofi' AND raised_on BETWEEN $date_from AND $day
GROUP BY ALL
ORDER BY ofis DESC, process
LIMIT 5
