-- The records behind kpis/standards_awareness_coverage_pct.sql: one per member of staff on record at the period's
-- end (common.sql's employees and staff), its denominator: their latest completion of a course tied to an ISO standard
-- in the 12 months before (the month of the period's end and the 11 before), in_numerator, or else their latest
-- training record of any kind, not counted.
WITH on_record AS (
    SELECT e.employee_id, s.period_last
    FROM spine s
    JOIN employees e ON e.first_seen <= s.period_last AND e.last_seen > s.period_last - INTERVAL 12 MONTH
    WHERE s.period IN (SELECT period FROM staff)
),
reaching AS (
    SELECT t.*, row_number() OVER (PARTITION BY t.employee_id ORDER BY t.completed_on DESC, t.record_id DESC) AS nth
    FROM f_training t JOIN on_record o USING (employee_id)
    WHERE t.status = 'completed' AND t.completed_on IS NOT NULL AND t.standard IS NOT NULL
      AND t.completed_on <= o.period_last
      AND t.completed_on >= date_trunc('month', o.period_last) - INTERVAL 11 MONTH
),
latest AS (
    SELECT t.*, row_number() OVER (
               PARTITION BY t.employee_id ORDER BY greatest(t.due_date, t.completed_on) DESC NULLS LAST, t.record_id DESC
           ) AS nth
    FROM training t JOIN on_record o USING (employee_id)
    WHERE (len($sites) = 0 OR list_contains($sites, t.site))
      AND (len($departments) = 0 OR list_contains($departments, t.department))
      AND least(t.due_date, t.completed_on) <= o.period_last
)
SELECT coalesce(r.record_id, l.record_id) AS record_id, o.employee_id,
       coalesce(r.department, l.department) AS department, coalesce(r.site, l.site) AS site,
       coalesce(r.course, l.course) AS course, coalesce(r.category, l.category) AS category,
       coalesce(r.standard, l.standard) AS standard, coalesce(r.hours, l.hours) AS hours,
       coalesce(r.status, l.status) AS status, coalesce(r.due_date, l.due_date) AS due_date,
       coalesce(r.completed_on, l.completed_on) AS completed_on, coalesce(r.expires_on, l.expires_on) AS expires_on,
       coalesce(r.is_mandatory, l.is_mandatory) AS is_mandatory,
       coalesce(r.effectiveness, l.effectiveness) AS effectiveness,
       r.employee_id IS NOT NULL AS in_numerator
FROM on_record o
LEFT JOIN reaching r ON r.employee_id = o.employee_id AND r.nth = 1
LEFT JOIN latest l ON l.employee_id = o.employee_id AND l.nth = 1
ORDER BY in_numerator, o.employee_id
