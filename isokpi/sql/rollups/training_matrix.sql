-- The training matrix (views/training_matrix.sql) for any day, as changes: per site, department, standard, course
-- category and level, on each day, how many employee-course states enter (+) and leave (-) the level. The sum of the
-- changes up to a day counts the states at that level on that day, exactly, for whatever cells a filter selects.
--
-- A state is an employee's course at one site, department and standard (their assignments of it reduce to the best
-- that applies), counted while the employee is on record there: from their first record in that site and department
-- to 12 months after their last (the staff rule of common.sql, per site and department). Its level on a day d:
--   1  valid       completed by d, not expiring within 60 days (expires_on > d + 60, or never expiring)
--   2  ... or expiring: completed by d and expires_on >= d
--   3  ... or expired: completed by d
--   4  ... or overdue: completed by d, or due before d (without a due date: its status says overdue)
--   5  ... or planned: any assignment that is not cancelled
-- Each level holds the ones before it (a state "at level 3" is valid, expiring or expired), so the matrix's columns
-- are differences of neighbouring levels. On the days of one assignment, levels 3 to 5 start once and last; levels 1
-- and 2 hold from its completion until 60 days before expiry and until expiry, and a course completed again and again
-- is at the level on the days of any of its spans: their union, in islands (a span starting after all earlier ones
-- ended starts an island; an island ends where the furthest of its spans does).
--
-- One group's changes depend on all the records of its employee's site and department (its partition: the days they
-- are on record there), so a change of records computes their partitions again (isokpi.rollups). One row per cell,
-- category, level and day with a change: 1,093,108 rows for the 5.1M records of the benchmark database, 11 s to build.
WITH present AS (
    -- Days on record: d with first_seen <= d and last_seen > d - 12 months, that is first_seen <= d < until (a last
    -- record on 29 February: 12 months on is 28 February, still on record, so the day after).
    SELECT employee_id, site, department, first_seen,
           CAST(CASE WHEN last_seen + INTERVAL 12 MONTH - INTERVAL 12 MONTH >= last_seen THEN last_seen + INTERVAL 12 MONTH
                     ELSE last_seen + INTERVAL 12 MONTH + INTERVAL 1 DAY END AS DATE) AS until
    FROM (SELECT employee_id, site, department,
                 min(least(due_date, completed_on)) AS first_seen, max(greatest(due_date, completed_on)) AS last_seen
          FROM input_rows
          GROUP BY ALL)
    WHERE first_seen IS NOT NULL
),
assignments AS (
    -- Each assignment's days, kept to its employee's days on record: done_from (completed; without a completion
    -- date: always), the end of its valid and of its current (valid or expiring) span, and due_from (level 4: never,
    -- for an assignment neither completed nor due nor marked overdue without a due date). A NULL site or department
    -- is a cell of its own, as in every GROUP BY here.
    SELECT a.employee_id, a.site, a.department, a.course, coalesce(a.category, 'Uncategorised') AS category,
           a.standard, p.first_seen, p.until, d.done_from,
           least(coalesce(a.expires_on - 60, p.until), p.until) AS valid_to,
           least(coalesce(a.expires_on + 1, p.until), p.until) AS current_to,
           CASE WHEN o.overdue_from IS NOT NULL THEN greatest(o.overdue_from, p.first_seen) END AS due_from
    FROM input_rows a
    JOIN present p ON p.employee_id = a.employee_id AND p.site IS NOT DISTINCT FROM a.site
                  AND p.department IS NOT DISTINCT FROM a.department,
    LATERAL (SELECT CASE WHEN a.status = 'completed'
                         THEN greatest(coalesce(a.completed_on, p.first_seen), p.first_seen) END AS done_from) d,
    -- least() passes over NULLs: NULL only when none applies.
    LATERAL (SELECT least(d.done_from, a.due_date + 1,
                          CASE WHEN a.due_date IS NULL AND a.status = 'overdue' THEN p.first_seen END) AS overdue_from) o
    WHERE a.status <> 'cancelled'
),
states AS (
    SELECT site, department, standard, category, any_value(first_seen) AS first_seen, any_value(until) AS until,
           min(done_from) AS done_from, min(due_from) AS due_from,
           coalesce(list_sort(list({'f': done_from, 't': valid_to}) FILTER (done_from < valid_to)), []) AS valid,
           coalesce(list_sort(list({'f': done_from, 't': current_to}) FILTER (done_from < current_to)), []) AS current
    FROM assignments
    GROUP BY employee_id, site, department, course, category, standard
),
changes AS (
    SELECT site, department, standard, category,
           list_concat(
               [{'level': 5, 'day': first_seen, 'change': 1}, {'level': 5, 'day': until, 'change': -1}],
               CASE WHEN due_from < until THEN [{'level': 4, 'day': due_from, 'change': 1},
                                                 {'level': 4, 'day': until, 'change': -1}] END,
               CASE WHEN done_from < until THEN [{'level': 3, 'day': done_from, 'change': 1},
                                                  {'level': 3, 'day': until, 'change': -1}] END,
               -- The islands of each level's spans (sorted by start): +1 where a span starts after every earlier one
               -- ended, -1 where the furthest end so far is before the next span's start (or there is no next span).
               -- When the ends come in the order of the starts (a course renewed with the same validity, or never
               -- expiring), the furthest end so far is the previous span's: one step per span instead of one per pair.
               flatten(list_transform([{'level': 1, 'spans': valid}, {'level': 2, 'spans': current}], lambda l:
                   CASE WHEN list_transform(l.spans, lambda s: s.t) = list_sort(list_transform(l.spans, lambda s: s.t))
                   THEN list_concat(
                       list_transform(
                           list_filter(range(1, len(l.spans) + 1), lambda i: i = 1 OR l.spans[i].f > l.spans[i - 1].t),
                           lambda i: {'level': l.level, 'day': l.spans[i].f, 'change': 1}),
                       list_transform(
                           list_filter(range(1, len(l.spans) + 1),
                                       lambda i: i = len(l.spans) OR l.spans[i + 1].f > l.spans[i].t),
                           lambda i: {'level': l.level, 'day': l.spans[i].t, 'change': -1}))
                   ELSE list_concat(
                       list_transform(
                           list_filter(range(1, len(l.spans) + 1),
                                       lambda i: i = 1 OR l.spans[i].f
                                                 > list_max(list_transform(l.spans[1:i - 1], lambda s: s.t))),
                           lambda i: {'level': l.level, 'day': l.spans[i].f, 'change': 1}),
                       list_transform(
                           list_filter(range(1, len(l.spans) + 1),
                                       lambda i: i = len(l.spans) OR l.spans[i + 1].f
                                                 > list_max(list_transform(l.spans[1:i], lambda s: s.t))),
                           lambda i: {'level': l.level, 'day': list_max(list_transform(l.spans[1:i], lambda s: s.t)),
                                      'change': -1}))
                   END))
           ) AS changes
    FROM states
)
SELECT site, department, standard, category, c.level AS level, c.day AS day, CAST(sum(c.change) AS BIGINT) AS change
FROM (SELECT site, department, standard, category, unnest(changes) AS c FROM changes)
GROUP BY ALL
HAVING sum(c.change) <> 0
