-- Survey answers by the day they were given (the dataset's date).
SELECT _side, 'survey' AS dataset, 'date' AS kind, responded_on AS "day", count(*) AS "rows"
FROM input_rows
GROUP BY ALL
