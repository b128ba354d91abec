-- Findings per label, cell and day raised: findings that need an action by clause (with its standard) and by root
-- cause, improvement opportunities by process. A missing clause or root cause is a label of its own (NULL).
SELECT _side, kind, label, site, department, standard, raised_on, count(*) AS findings
FROM (
    SELECT _side, 'clause' AS kind, clause || ' (' || standard || ')' AS label, site, department, standard, raised_on
    FROM actions
    UNION ALL
    SELECT _side, 'root_cause', root_cause, site, department, standard, raised_on FROM actions
    UNION ALL
    SELECT _side, 'process', coalesce(process, '(process not stated)'), site, department, standard, raised_on
    FROM kept WHERE severity = 'ofi'
)
GROUP BY ALL
