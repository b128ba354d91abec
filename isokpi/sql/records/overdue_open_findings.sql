-- The records behind kpis/overdue_open_findings.sql and kpis/overdue_actions_per_100_staff.sql (common.sql's
-- open_actions): the actions open at the period's end whose due date had passed, each counted.
SELECT a.*, true AS in_numerator
FROM spine s
JOIN actions a ON a.raised_on <= s.period_last
              AND (a.closed_on IS NULL OR a.closed_on > s.period_last)
              AND (a.closed_on IS NOT NULL OR a.status IN ('open', 'in_progress'))
WHERE a.due_on < s.period_last
ORDER BY a.due_on, a.finding_id
