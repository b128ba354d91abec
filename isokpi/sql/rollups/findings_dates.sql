-- Findings by the day they were raised (the dataset's date) and the day they were closed.
SELECT _side, 'findings' AS dataset, kind, "day", count(*) AS "rows"
FROM (
    SELECT _side, 'date' AS kind, raised_on AS "day" FROM input_rows
    UNION ALL
    SELECT _side, 'closed', closed_on FROM input_rows WHERE closed_on IS NOT NULL
)
GROUP BY ALL
