-- Shared CTEs of the KPI and page queries over the roll-ups (isokpi/sql/rollups/kpis/, views/), which give the same
-- results as the queries over the rows in isokpi/sql/kpis/ and views/. A roll-up row is what one load, undo or rebuild
-- added to a key, so every query sums a key's rows. Parameters (all bound, never formatted in) as in common.sql:
--   $grain, $periods, $as_of, $sites, $departments, $standards
spine AS (
    SELECT period,
           CAST(CASE $grain WHEN 'month' THEN period + INTERVAL 1 MONTH
                            WHEN 'quarter' THEN period + INTERVAL 3 MONTH
                            ELSE period + INTERVAL 1 YEAR END AS DATE) - 1 AS period_last
    FROM (SELECT unnest(CAST($periods AS DATE[])) AS period)
),
-- Each roll-up with the site, department and standard filters applied (surveys are not tied to a standard).
training_completions AS (
    SELECT * FROM rollup_training_completions
    WHERE (len($sites) = 0 OR list_contains($sites, site))
      AND (len($departments) = 0 OR list_contains($departments, department))
      AND (len($standards) = 0 OR list_contains($standards, standard))
),
training_due AS (
    SELECT * FROM rollup_training_due
    WHERE (len($sites) = 0 OR list_contains($sites, site))
      AND (len($departments) = 0 OR list_contains($departments, department))
      AND (len($standards) = 0 OR list_contains($standards, standard))
),
training_employee_standards AS (
    SELECT employee_id, site, department, standard, simple, days
    FROM rollup_training_employee_standards
    WHERE (len($sites) = 0 OR list_contains($sites, site))
      AND (len($departments) = 0 OR list_contains($departments, department))
      AND (len($standards) = 0 OR list_contains($standards, standard))
    GROUP BY ALL
    HAVING sum(employees) > 0
),
findings_months AS (
    SELECT * FROM rollup_findings_months
    WHERE (len($sites) = 0 OR list_contains($sites, site))
      AND (len($departments) = 0 OR list_contains($departments, department))
      AND (len($standards) = 0 OR list_contains($standards, standard))
),
findings_open_days AS (
    SELECT * FROM rollup_findings_open_days
    WHERE (len($sites) = 0 OR list_contains($sites, site))
      AND (len($departments) = 0 OR list_contains($departments, department))
      AND (len($standards) = 0 OR list_contains($standards, standard))
),
findings_close_times AS (
    SELECT * FROM rollup_findings_close_times
    WHERE (len($sites) = 0 OR list_contains($sites, site))
      AND (len($departments) = 0 OR list_contains($departments, department))
      AND (len($standards) = 0 OR list_contains($standards, standard))
),
findings_facts AS (
    SELECT * FROM rollup_findings_facts
    WHERE (len($sites) = 0 OR list_contains($sites, site))
      AND (len($departments) = 0 OR list_contains($departments, department))
      AND (len($standards) = 0 OR list_contains($standards, standard))
),
findings_audits AS (
    SELECT * FROM rollup_findings_audits
    WHERE (len($sites) = 0 OR list_contains($sites, site))
      AND (len($departments) = 0 OR list_contains($departments, department))
      AND (len($standards) = 0 OR list_contains($standards, standard))
),
findings_labels AS (
    SELECT * FROM rollup_findings_labels
    WHERE (len($sites) = 0 OR list_contains($sites, site))
      AND (len($departments) = 0 OR list_contains($departments, department))
      AND (len($standards) = 0 OR list_contains($standards, standard))
),
findings_repeat_days AS (
    SELECT * FROM rollup_findings_repeat_days
    WHERE (len($sites) = 0 OR list_contains($sites, site))
      AND (len($departments) = 0 OR list_contains($departments, department))
      AND (len($standards) = 0 OR list_contains($standards, standard))
),
findings_repeat_months AS (
    SELECT * FROM rollup_findings_repeat_months
    WHERE (len($sites) = 0 OR list_contains($sites, site))
      AND (len($departments) = 0 OR list_contains($departments, department))
      AND (len($standards) = 0 OR list_contains($standards, standard))
),
survey_groups AS (
    SELECT * FROM rollup_survey_groups
    WHERE (len($sites) = 0 OR list_contains($sites, site))
      AND (len($departments) = 0 OR list_contains($departments, department))
),
survey_complex AS (
    -- The answers of respondents who are not simple, as they are (survey_complex.sql).
    SELECT survey_id, response_id, responded_on, site, department, stakeholder, pillar, scale, score, sum(answers) AS copies
    FROM rollup_survey_complex
    WHERE (len($sites) = 0 OR list_contains($sites, site))
      AND (len($departments) = 0 OR list_contains($departments, department))
    GROUP BY ALL
    HAVING sum(answers) > 0
),
-- The first day on record of each dataset (all rows, whatever the filters).
first_days AS (
    SELECT dataset, min("day") AS first_day
    FROM (SELECT dataset, "day" FROM rollup_dates WHERE kind = 'date' GROUP BY ALL HAVING sum("rows") > 0)
    GROUP BY dataset
),
-- Staff on record (common.sql's employees and staff): simple employees counted by day in the cells the site and
-- department filters take; employees with records in several cells one by one, over the cells the filters take.
staff_days AS (
    SELECT "day", sum(starts) AS starts, sum(ends) AS ends
    FROM rollup_training_staff_days
    WHERE (len($sites) = 0 OR list_contains($sites, site))
      AND (len($departments) = 0 OR list_contains($departments, department))
    GROUP BY "day"
),
complex_employees AS (
    SELECT employee_id, min(first_seen) AS first_seen, max(last_seen) AS last_seen
    FROM (
        SELECT employee_id, site, department, first_seen, last_seen
        FROM rollup_training_employees
        WHERE NOT simple
          AND (len($sites) = 0 OR list_contains($sites, site))
          AND (len($departments) = 0 OR list_contains($departments, department))
        GROUP BY ALL
        HAVING sum(employees) > 0
    )
    GROUP BY employee_id
    HAVING min(first_seen) IS NOT NULL
),
staff AS (
    SELECT s.period,
           coalesce((SELECT sum(d.starts) - sum(d.ends) FROM staff_days d WHERE d."day" <= s.period_last), 0)
           + (SELECT count(*) FROM complex_employees e
              WHERE e.first_seen <= s.period_last AND e.last_seen > s.period_last - INTERVAL 12 MONTH) AS staff
    FROM spine s
    WHERE date_trunc('month', s.period_last) - INTERVAL 11 MONTH
          >= date_trunc('month', least((SELECT min("day") FROM staff_days WHERE starts > 0),
                                       (SELECT min(first_seen) FROM complex_employees)))
)
