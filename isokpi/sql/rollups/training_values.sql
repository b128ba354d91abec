-- The sites, departments and standards training records name, for the sidebar filters.
SELECT _side, 'training' AS dataset, "column", "value", count(*) AS "rows"
FROM (
    SELECT _side, 'site' AS "column", site AS "value" FROM input_rows
    UNION ALL SELECT _side, 'department', department FROM input_rows
    UNION ALL SELECT _side, 'standard', standard FROM input_rows
)
WHERE "value" IS NOT NULL
GROUP BY ALL
