-- Training against outcomes per $group ('department' or 'site') over one window, $window_from to $day: the group's
-- staff on record on $day (the staff rule of common.sql, per group), its mandatory training due in the window (and
-- how much of it was completed by the due date), the hours completed in it, and the findings its people raised in it:
-- all of them, the major nonconformities, and the nonconformities with how many repeat an earlier one (common.sql's
-- repeat_flags). Counts only: isokpi.outcomes_view groups the small groups and works out the rates.
WITH group_staff AS (
    SELECT grp, count(*) AS staff
    FROM members
    WHERE first_seen <= $day AND last_seen > $day - INTERVAL 12 MONTH
    GROUP BY grp
),
group_training AS (
    SELECT CASE $group WHEN 'site' THEN site ELSE department END AS grp,
           count(*) FILTER (WHERE is_mandatory AND status <> 'cancelled' AND due_date BETWEEN $window_from AND $day)
               AS mandatory_due,
           count(*) FILTER (WHERE is_mandatory AND status <> 'cancelled' AND due_date BETWEEN $window_from AND $day
                            AND completed_on IS NOT NULL AND completed_on <= due_date) AS mandatory_on_time,
           coalesce(sum(hours) FILTER (WHERE status = 'completed' AND completed_on BETWEEN $window_from AND $day), 0)
               AS hours
    FROM f_training
    GROUP BY grp
),
look_back AS (
    -- As repeat_finding_rate_pct: a repeat needs a year of findings before it to be seen.
    SELECT date_trunc('month', min(raised_on)) + INTERVAL 12 MONTH AS seen_from FROM findings
),
group_findings AS (
    SELECT CASE $group WHEN 'site' THEN f.site ELSE f.department END AS grp,
           count(*) AS findings,
           count(*) FILTER (WHERE f.severity = 'major_nc') AS majors,
           count(r.finding_id) FILTER (WHERE f.raised_on >= (SELECT seen_from FROM look_back)) AS ncs,
           count(*) FILTER (WHERE r.is_repeat AND f.raised_on >= (SELECT seen_from FROM look_back)) AS repeats
    FROM f_findings f
    LEFT JOIN repeat_flags r USING (finding_id)
    WHERE f.raised_on BETWEEN $window_from AND $day
    GROUP BY grp
)
SELECT coalesce(s.grp, t.grp, f.grp) AS "group", coalesce(s.staff, 0) AS staff,
       coalesce(t.mandatory_due, 0) AS mandatory_due, coalesce(t.mandatory_on_time, 0) AS mandatory_on_time,
       coalesce(t.hours, 0) AS hours, coalesce(f.findings, 0) AS findings, coalesce(f.majors, 0) AS majors,
       coalesce(f.ncs, 0) AS ncs, coalesce(f.repeats, 0) AS repeats
FROM group_staff s
FULL JOIN group_training t USING (grp)
FULL JOIN group_findings f ON f.grp = coalesce(s.grp, t.grp)
WHERE coalesce(s.grp, t.grp, f.grp) IS NOT NULL
ORDER BY "group"
