-- Findings still open at the end of the period whose due date has passed (improvement suggestions excluded);
-- n is all findings open then.
SELECT s.period, coalesce(o.overdue, 0)::DOUBLE AS value, coalesce(o.open_findings, 0) AS n
FROM spine s
LEFT JOIN open_actions o USING (period)
WHERE s.period >= (SELECT date_trunc($grain, min(raised_on))::DATE FROM f_findings)
ORDER BY s.period
