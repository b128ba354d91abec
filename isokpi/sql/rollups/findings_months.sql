-- Findings (not cancelled) per cell, audit type and severity, by the month they were raised, fell due (with how many
-- were closed by their due date) and were closed (with how many were evaluated and judged effective).
SELECT _side, site, department, standard, audit_type, severity, kind, "month",
       count(*) AS findings,
       count(*) FILTER (WHERE on_time) AS on_time,
       count(*) FILTER (WHERE evaluated) AS evaluated,
       count(*) FILTER (WHERE effective) AS effective
FROM (
    SELECT _side, site, department, standard, audit_type, severity, 'raised' AS kind,
           CAST(date_trunc('month', raised_on) AS DATE) AS "month", false AS on_time, false AS evaluated, false AS effective
    FROM kept
    UNION ALL
    SELECT _side, site, department, standard, audit_type, severity, 'due', CAST(date_trunc('month', due_on) AS DATE),
           closed_on IS NOT NULL AND closed_on <= due_on, false, false
    FROM kept WHERE due_on IS NOT NULL
    UNION ALL
    SELECT _side, site, department, standard, audit_type, severity, 'closed', CAST(date_trunc('month', closed_on) AS DATE),
           false, coalesce(effectiveness IN ('effective', 'partially_effective', 'not_effective'), false),
           coalesce(effectiveness = 'effective', false)
    FROM kept WHERE closed_on IS NOT NULL
)
GROUP BY ALL
