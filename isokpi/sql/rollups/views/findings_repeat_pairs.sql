-- Clause and site pairs with the most repeat nonconformities raised from $date_from up to $day; the $top largest.
SELECT standard, clause, site, CAST(sum(repeats) AS BIGINT) AS repeats, CAST(sum(ncs) AS BIGINT) AS ncs,
       max(raised_on) AS last_raised
FROM (
    SELECT site, department, standard, clause, raised_on, sum(ncs) AS ncs, sum(repeats) AS repeats
    FROM findings_repeat_days
    WHERE raised_on <= $day AND ($date_from IS NULL OR raised_on >= $date_from) AND clause IS NOT NULL
    GROUP BY ALL
    HAVING sum(ncs) > 0
)
GROUP BY standard, clause, site
HAVING sum(repeats) > 0
ORDER BY repeats DESC, ncs DESC, standard, clause, site
LIMIT $top
