-- Training records by the day that places them: completed_on (the dataset's date; none counts too) and the day the
-- engine's date range reads, completion or else due date.
SELECT _side, 'training' AS dataset, kind, "day", count(*) AS "rows"
FROM (
    SELECT _side, 'date' AS kind, completed_on AS "day" FROM input_rows
    UNION ALL
    SELECT _side, 'range', coalesce(completed_on, due_date) FROM input_rows
)
GROUP BY ALL
