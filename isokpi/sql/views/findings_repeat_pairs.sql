-- Clause and site pairs with the most repeat nonconformities raised from $date_from up to $day
-- (common.sql's repeat_flags); the $top largest.
SELECT standard, clause, site, count(*) FILTER (WHERE is_repeat) AS repeats, count(*) AS ncs,
       max(raised_on) AS last_raised
FROM repeat_flags
WHERE raised_on <= $day AND ($date_from IS NULL OR raised_on >= $date_from) AND clause IS NOT NULL
GROUP BY ALL
HAVING count(*) FILTER (WHERE is_repeat) > 0
ORDER BY repeats DESC, ncs DESC, standard, clause, site
LIMIT $top
