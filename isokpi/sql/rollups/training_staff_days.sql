-- Staff on record by day, for simple employees: +1 on the day someone goes on record, +1 in `ends` on the day they go
-- off it. Staff on day D in the cells a filter takes: the starts up to D minus the ends up to D.
SELECT _side, site, department, "day", sum(starts) AS starts, sum(ends) AS ends
FROM (
    SELECT _side, site, department, first_seen AS "day", 1 AS starts, 0 AS ends FROM on_record
    UNION ALL
    SELECT _side, site, department, until, 0, 1 FROM on_record
)
GROUP BY ALL
